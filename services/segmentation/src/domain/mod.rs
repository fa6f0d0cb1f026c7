//! The segmentation rules: the client view rules read, scheme checks and assignment,
//! quality measures, resource names and who may do what. Pure: no I/O.

pub mod fx;
pub mod homogeneity;
pub mod names;
pub mod policy;
pub mod quality;
pub mod scheme;
pub mod target;
pub mod view;
