//! Conversions from stored and computed values to the contract's messages.

use std::collections::HashMap;

use crm_kit::{
    jobs::{Job, JobState},
    time,
};
use crm_proto::crm::segmentation::v1::{Activation, ActivationState, Scheme, SchemeReport, Segment, SegmentMembership};

use crate::{
    domain::{fx::Fx, names, quality::Measures, scheme::UNASSIGNED},
    store::MembershipRow,
};

/// An activation from its job row.
pub fn activation(job: &Job) -> Activation {
    let state = match job.state {
        JobState::Running => ActivationState::Running,
        JobState::Succeeded => ActivationState::Succeeded,
        JobState::Failed => ActivationState::Failed,
    };
    Activation {
        name: job.name.clone(),
        state: state as i32,
        processed: job.processed,
        total: job.total,
        fraction_done: job.fraction_done(),
        error: job.error.clone(),
        creator: job.subject.clone(),
        create_time: Some(time::to_timestamp(job.create_time)),
        update_time: Some(time::to_timestamp(job.update_time)),
        end_time: time::to_timestamp_opt(job.end_time),
    }
}

/// Display names of a scheme's segments by id (with the unassigned bucket).
pub fn segment_titles(scheme: &Scheme) -> HashMap<String, String> {
    fn walk(segments: &[Segment], out: &mut HashMap<String, String>) {
        for s in segments {
            out.insert(s.segment_id.clone(), s.display_name.clone());
            walk(&s.sub_segments, out);
        }
    }
    let mut out = HashMap::from([(UNASSIGNED.to_owned(), "Unassigned".to_owned())]);
    walk(&scheme.segments, &mut out);
    out
}

/// A stored membership as the contract shows it.
pub fn membership(row: &MembershipRow, scheme: &Scheme, titles: &HashMap<String, String>) -> SegmentMembership {
    let scheme_id = scheme.name.trim_start_matches("schemes/");
    SegmentMembership {
        scheme: scheme.name.clone(),
        scheme_display_name: scheme.display_name.clone(),
        segment: names::segment_name(scheme_id, &row.segment_id),
        segment_display_name: titles.get(&row.segment_id).cloned().unwrap_or_default(),
        level: i32::try_from(row.level).unwrap_or(i32::MAX),
        assign_time: Some(time::to_timestamp(row.valid_from)),
        client: format!("clients/{}", row.client_id),
    }
}

/// A report from computed measures.
pub fn report(scheme: &Scheme, measures: Measures, fx: &Fx) -> SchemeReport {
    SchemeReport {
        scheme: scheme.name.clone(),
        state: scheme.state,
        report_time: Some(time::to_timestamp(time::now_micros())),
        population: measures.population,
        segments: measures.segments,
        homogeneity: measures.homogeneity,
        segment_count: measures.segment_count,
        max_segments: measures.max_segments,
        manageable: measures.manageable,
        product_penetration: measures.product_penetration.into_iter().collect(),
        missing_inputs: measures.missing_inputs,
        exchange_rates: Some(fx.to_proto()),
        level_homogeneity: measures.level_homogeneity,
    }
}
