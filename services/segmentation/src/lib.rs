//! Segmentation service: schemes, segments, memberships, quality, target markets.
