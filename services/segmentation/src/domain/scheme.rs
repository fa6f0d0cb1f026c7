//! Checking a scheme and assigning clients to its segments.
//!
//! A scheme is checked whole before it is stored or previewed: every problem is reported at
//! once as a field violation (`scheme.segments[2].rule`, `scheme.segments[0].sub_segments[1]
//! .segment_id`, ...). Rules are parsed, limited to the documented view fields, bounded in
//! size, and type-checked by evaluating them on a sample client. A checked scheme is a
//! [`CompiledScheme`]: its segments in pre-order with their compiled rules.

use std::{collections::HashSet, sync::Arc};

use crm_kit::{
    ApiResult, Violations,
    expr::{self, Budget, CheckedExpr, EvalError, ExprRules, Scope},
};
use crm_proto::crm::segmentation::v1::{Scheme, Segment, SegmentationBasis};

use super::{
    fx::Fx,
    view::{ClientRecord, HoldingFacts, RULE_FIELDS},
};

/// Id of the scheme's unassigned bucket.
pub const UNASSIGNED: &str = "unassigned";
/// Most segments in a scheme, all levels together.
pub const MAX_SEGMENTS: usize = 64;
/// Deepest segment tree.
pub const MAX_LEVELS: usize = 4;
/// Longest rule, in characters.
pub const MAX_RULE_LEN: usize = 2048;
/// Largest rule, in expression nodes.
pub const MAX_RULE_NODES: usize = 256;

/// One segment with its compiled rule.
#[derive(Debug)]
pub struct CompiledSegment {
    /// Segment id, unique in the scheme.
    pub id: String,
    pub display_name: String,
    /// 1 for top-level segments.
    pub level: i32,
    /// Index of the parent segment.
    pub parent: Option<usize>,
    /// Indexes of the sub-segments, in order.
    pub children: Vec<usize>,
    pub rule: CheckedExpr,
}

/// A checked scheme, ready to assign clients.
#[derive(Debug)]
pub struct CompiledScheme {
    /// Segments in pre-order.
    pub segments: Vec<CompiledSegment>,
    /// Indexes of the top-level segments, in order.
    pub roots: Vec<usize>,
    pub bases: Vec<SegmentationBasis>,
    /// The reporting currency and rates money is compared in.
    pub fx: Fx,
}

impl CompiledScheme {
    /// The segment path of a client (one index per level; empty = unassigned): at each
    /// level the first sibling whose rule matches. A rule that fails on this client's data
    /// (e.g. a missing label) does not match.
    pub fn assign(&self, scope: &Scope<'_>) -> Vec<usize> {
        let mut path = Vec::new();
        let mut candidates = &self.roots;
        while let Some(&hit) = candidates.iter().find(|&&i| scope.test(&self.segments[i].rule).unwrap_or(false)) {
            path.push(hit);
            candidates = &self.segments[hit].children;
        }
        path
    }

    /// Segment ids of a path.
    pub fn ids(&self, path: &[usize]) -> Vec<String> {
        path.iter().map(|&i| self.segments[i].id.clone()).collect()
    }

    /// Index of a segment by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.segments.iter().position(|s| s.id == id)
    }

    /// Rule fields of a segment and its ancestors (what identifies its members).
    pub fn rule_fields(&self, index: usize) -> Vec<&str> {
        let mut fields = Vec::new();
        let mut at = Some(index);
        while let Some(i) = at {
            fields.extend(self.segments[i].rule.fields());
            at = self.segments[i].parent;
        }
        fields.sort_unstable();
        fields.dedup();
        fields
    }
}

/// The segment paths of records in schemes: `[record][scheme]` → segment ids by level.
pub type Paths = Vec<Vec<Vec<String>>>;

/// [`assign_records`] on blocking threads, off the async workers that answer other calls,
/// stopped at `deadline` (see `crm_kit::expr::evaluate`); the records come back with their
/// paths.
pub async fn assign_off_runtime(
    schemes: Vec<Arc<CompiledScheme>>,
    records: Vec<ClientRecord>,
    deadline: Option<tokio::time::Instant>,
) -> ApiResult<(Vec<ClientRecord>, Paths)> {
    expr::evaluate(deadline, move |budget| {
        let refs: Vec<&CompiledScheme> = schemes.iter().map(Arc::as_ref).collect();
        let paths = assign_records(&refs, &records, budget)?;
        Ok((records, paths))
    })
    .await
}

/// The segment path (ids by level) of each record in each scheme: `[record][scheme]`.
/// A live client matching no top-level segment is in the unassigned bucket; a deleted one
/// is in no segment at all. One evaluation context serves the whole batch; the budget is
/// checked between records.
pub fn assign_records(schemes: &[&CompiledScheme], records: &[ClientRecord], budget: &Budget) -> ApiResult<Paths> {
    let evaluator = expr::Evaluator::new();
    records
        .iter()
        .map(|record| {
            budget.check()?;
            if record.facts.client.deleted {
                return Ok(vec![Vec::new(); schemes.len()]);
            }
            schemes
                .iter()
                .map(|scheme| {
                    let scope = evaluator.scope("client", expr::to_value(record.rule_view(&scheme.fx))?);
                    let ids = scheme.ids(&scheme.assign(&scope));
                    Ok(if ids.is_empty() { vec![UNASSIGNED.to_owned()] } else { ids })
                })
                .collect()
        })
        .collect()
}

/// Whether `id` is a valid segment id.
fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && id.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Checks `scheme` (fields under `prefix`, e.g. "scheme") and compiles its segments.
pub fn check(scheme: &Scheme, prefix: &str) -> ApiResult<CompiledScheme> {
    let mut v = Violations::default();
    if scheme.display_name.trim().is_empty() {
        v.add(format!("{prefix}.display_name"), "is required");
    } else if scheme.display_name.chars().count() > 200 {
        v.add(format!("{prefix}.display_name"), "must be at most 200 characters");
    }
    if scheme.description.chars().count() > 4000 {
        v.add(format!("{prefix}.description"), "must be at most 4000 characters");
    }
    let mut bases = Vec::new();
    if scheme.bases.is_empty() {
        v.add(format!("{prefix}.bases"), "name at least one segmentation basis");
    }
    for (i, &b) in scheme.bases.iter().enumerate() {
        match SegmentationBasis::try_from(b) {
            Ok(SegmentationBasis::Unspecified) | Err(_) => {
                v.add(format!("{prefix}.bases[{i}]"), "must be a segmentation basis")
            }
            Ok(basis) if bases.contains(&basis) => v.add(format!("{prefix}.bases[{i}]"), "is listed twice"),
            Ok(basis) => bases.push(basis),
        }
    }
    if let Some(t) = &scheme.thresholds {
        if t.min_members < 0 {
            v.add(format!("{prefix}.thresholds.min_members"), "must not be negative");
        }
        if t.max_segments < 0 {
            v.add(format!("{prefix}.thresholds.max_segments"), "must not be negative");
        }
        if let Some(m) = &t.min_revenue
            && (m.units < 0 || m.nanos < 0 || m.currency_code.len() != 3)
        {
            v.add(format!("{prefix}.thresholds.min_revenue"), "must be non-negative with an ISO 4217 currency");
        }
    }
    if scheme.segments.is_empty() {
        v.add(format!("{prefix}.segments"), "define at least one segment");
    }
    let fx = Fx::check(scheme.exchange_rates.as_ref(), &format!("{prefix}.exchange_rates"), &mut v);
    for (name, money) in [
        ("min_revenue", scheme.thresholds.as_ref().and_then(|t| t.min_revenue.as_ref())),
        ("min_risk_adjusted_income", scheme.thresholds.as_ref().and_then(|t| t.min_risk_adjusted_income.as_ref())),
    ] {
        if let Some(m) = money
            && fx.rate(&m.currency_code).is_none()
        {
            v.add(
                format!("{prefix}.thresholds.{name}"),
                format!("is in {} which has no rate into the reporting currency {}", m.currency_code, fx.currency),
            );
        }
    }
    let sample = sample_record(&fx);
    let mut compiled = CompiledScheme { segments: Vec::new(), roots: Vec::new(), bases, fx };
    let mut seen = HashSet::new();
    let evaluator = expr::Evaluator::new();
    let scope = evaluator.scope("client", expr::to_value(sample.rule_view(&compiled.fx))?);
    let mut walk = Walk { v: &mut v, seen: &mut seen, out: &mut compiled, scope: &scope };
    for (i, segment) in scheme.segments.iter().enumerate() {
        if let Some(index) = walk.segment(segment, &format!("{prefix}.segments[{i}]"), 1, None) {
            walk.out.roots.push(index);
        }
    }
    if walk.out.segments.len() > MAX_SEGMENTS {
        v.add(format!("{prefix}.segments"), format!("at most {MAX_SEGMENTS} segments in all levels"));
    }
    v.check()?;
    Ok(compiled)
}

/// A client with every field at its zero value (and one holding), its money in the
/// reporting currency, for type checks.
fn sample_record(fx: &Fx) -> ClientRecord {
    let mut record = ClientRecord {
        holdings: vec![HoldingFacts {
            product_line: "DEPOSITS".into(),
            currency: fx.currency.clone(),
            ..Default::default()
        }],
        value: Some(super::view::ValueFacts { currency: fx.currency.clone(), ..Default::default() }),
        ..Default::default()
    };
    record.facts.client.annual_turnover_currency.clone_from(&fx.currency);
    record
}

struct Walk<'a, 'b> {
    v: &'a mut Violations,
    seen: &'a mut HashSet<String>,
    out: &'a mut CompiledScheme,
    scope: &'a Scope<'b>,
}

impl Walk<'_, '_> {
    /// Checks one segment (and its sub-segments); returns its index when its rule compiled.
    fn segment(&mut self, s: &Segment, path: &str, level: usize, parent: Option<usize>) -> Option<usize> {
        if level > MAX_LEVELS {
            self.v.add(path.to_owned(), format!("segments nest at most {MAX_LEVELS} levels deep"));
            return None;
        }
        if !valid_id(&s.segment_id) {
            self.v.add(
                format!("{path}.segment_id"),
                "must be lower-case letters, digits and hyphens, starting with a letter, at most 63 characters",
            );
        } else if s.segment_id == UNASSIGNED {
            self.v.add(format!("{path}.segment_id"), "\"unassigned\" is reserved for the unassigned bucket");
        } else if !self.seen.insert(s.segment_id.clone()) {
            self.v.add(format!("{path}.segment_id"), "is used by another segment of this scheme");
        }
        if s.display_name.trim().is_empty() {
            self.v.add(format!("{path}.display_name"), "is required");
        } else if s.display_name.chars().count() > 200 {
            self.v.add(format!("{path}.display_name"), "must be at most 200 characters");
        }
        if s.description.chars().count() > 4000 {
            self.v.add(format!("{path}.description"), "must be at most 4000 characters");
        }
        let rule_path = format!("{path}.rule");
        let rules = ExprRules {
            field: &rule_path,
            variable: "client",
            fields: &RULE_FIELDS[..],
            max_len: MAX_RULE_LEN,
            max_nodes: MAX_RULE_NODES,
        };
        let rule = match CheckedExpr::parse(&s.rule, &rules) {
            Ok(rule) => match self.scope.test(&rule) {
                Err(err @ EvalError::NotBoolean(_)) => Err(err.into_api(&rule_path)),
                Err(err) if !err.is_missing_key() => Err(err.into_api(&rule_path)),
                _ => Ok(rule),
            },
            Err(err) => Err(err),
        };
        let index = match rule {
            Ok(rule) => {
                let index = self.out.segments.len();
                self.out.segments.push(CompiledSegment {
                    id: s.segment_id.clone(),
                    display_name: s.display_name.clone(),
                    level: i32::try_from(level).unwrap_or(i32::MAX),
                    parent,
                    children: Vec::new(),
                    rule,
                });
                Some(index)
            }
            Err(err) => {
                for violation in err.violations() {
                    self.v.add(violation.field.clone(), violation.description.clone());
                }
                None
            }
        };
        for (j, sub) in s.sub_segments.iter().enumerate() {
            let child = self.segment(sub, &format!("{path}.sub_segments[{j}]"), level + 1, index);
            if let (Some(parent), Some(child)) = (index, child) {
                self.out.segments[parent].children.push(child);
            }
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unlimited() -> Budget {
        Budget::until(std::time::Instant::now() + std::time::Duration::from_secs(3600))
    }
    use crate::domain::view::{ProfileFacts, ValueFacts};
    use crm_kit::client_view::ClientFacts;

    fn seg(id: &str, rule: &str, subs: Vec<Segment>) -> Segment {
        Segment {
            segment_id: id.into(),
            display_name: id.to_uppercase(),
            rule: rule.into(),
            sub_segments: subs,
            ..Default::default()
        }
    }

    fn scheme(segments: Vec<Segment>) -> Scheme {
        Scheme {
            display_name: "Industry plan".into(),
            bases: vec![SegmentationBasis::Industry as i32, SegmentationBasis::Size as i32],
            segments,
            ..Default::default()
        }
    }

    fn record(industry: &str, turnover: i64, lines: &[&str]) -> ClientRecord {
        ClientRecord {
            facts: ProfileFacts {
                client: ClientFacts {
                    industry_code: industry.into(),
                    annual_turnover_units: turnover,
                    ..Default::default()
                },
                ..Default::default()
            },
            holdings: lines
                .iter()
                .map(|l| HoldingFacts { product_line: (*l).to_owned(), ..Default::default() })
                .collect(),
            ..Default::default()
        }
    }

    fn path_of(compiled: &CompiledScheme, r: &ClientRecord) -> Vec<String> {
        let evaluator = expr::Evaluator::new();
        let scope =
            evaluator.scope("client", expr::to_value(r.rule_view(&crate::domain::fx::Fx::default())).expect("value"));
        compiled.ids(&compiled.assign(&scope))
    }

    #[test]
    fn first_match_wins_per_level_else_unassigned() {
        let compiled = check(
            &scheme(vec![
                seg(
                    "finance",
                    r#"client.industry_code.startsWith("64")"#,
                    vec![
                        seg("big-finance", "client.annual_turnover_units > 50000000", vec![]),
                        seg("traders", r#""TRADE_FINANCE" in client.product_lines"#, vec![]),
                    ],
                ),
                seg("large", "client.annual_turnover_units > 10000000", vec![]),
            ]),
            "scheme",
        )
        .expect("valid");
        assert_eq!(path_of(&compiled, &record("6419", 80_000_000, &["TRADE_FINANCE"])), ["finance", "big-finance"]);
        assert_eq!(path_of(&compiled, &record("6419", 1_000, &["TRADE_FINANCE"])), ["finance", "traders"]);
        assert_eq!(path_of(&compiled, &record("6419", 1_000, &[])), ["finance"]);
        assert_eq!(path_of(&compiled, &record("4690", 80_000_000, &[])), ["large"], "first match wins");
        assert!(path_of(&compiled, &record("4690", 5, &[])).is_empty(), "unassigned");
        assert_eq!(compiled.rule_fields(1), ["annual_turnover_units", "industry_code"]);
    }

    #[test]
    fn reports_every_problem_with_its_path_and_position() {
        let err = check(
            &scheme(vec![
                seg("ok", "client.employee_count > 10", vec![]),
                seg("ok", "client.city == 'x'", vec![seg("Bad Id", "client.nope == 1", vec![])]),
                seg("broken", "client.city == ", vec![]),
                seg("typed", "client.city > 3", vec![]),
                seg("number", "client.employee_count", vec![]),
                seg(UNASSIGNED, "true", vec![]),
            ]),
            "scheme",
        )
        .expect_err("invalid");
        let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "scheme.segments[1].segment_id",
                "scheme.segments[1].sub_segments[0].segment_id",
                "scheme.segments[1].sub_segments[0].rule",
                "scheme.segments[2].rule",
                "scheme.segments[3].rule",
                "scheme.segments[4].rule",
                "scheme.segments[5].segment_id",
            ]
        );
        assert!(err.violations()[3].description.contains("line 1, column"), "{:?}", err.violations()[3]);
    }

    #[test]
    fn numbers_compare_across_int_and_double() {
        let compiled = check(
            &scheme(vec![
                seg("valuable", "client.value_score > 50", vec![]),
                seg("big", "client.annual_turnover_units > 5e7", vec![]),
            ]),
            "scheme",
        )
        .expect("int and double compare");
        let scored = |score: f64, turnover: i64| ClientRecord {
            value: Some(ValueFacts { score, ..Default::default() }),
            ..record("4690", turnover, &[])
        };
        // A double score against an int literal.
        assert_eq!(path_of(&compiled, &scored(50.5, 0)), ["valuable"]);
        assert!(path_of(&compiled, &scored(50.0, 0)).is_empty(), "50.0 is not above 50");
        // An int turnover against a double literal.
        assert_eq!(path_of(&compiled, &record("4690", 50_000_001, &[])), ["big"]);
        assert!(path_of(&compiled, &record("4690", 50_000_000, &[])).is_empty(), "5e7 is not above 5e7");
        assert_eq!(path_of(&compiled, &scored(90.0, 80_000_000)), ["valuable"], "first match wins");
    }

    #[test]
    fn labels_missing_on_the_sample_are_not_an_error() {
        let compiled = check(&scheme(vec![seg("niche", r#"client.labels["segment"] == "niche""#, vec![])]), "scheme")
            .expect("a label the sample client lacks is no error");
        let labelled = |labels: &[(&str, &str)]| {
            let mut r = record("4690", 0, &[]);
            r.facts.client.labels = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            r
        };
        assert_eq!(path_of(&compiled, &labelled(&[("segment", "niche")])), ["niche"]);
        assert!(path_of(&compiled, &labelled(&[("segment", "mass")])).is_empty());
        assert!(path_of(&compiled, &labelled(&[("tier", "niche")])).is_empty(), "a missing label does not match");
        let paths = assign_records(&[&compiled], &[labelled(&[("segment", "niche")]), labelled(&[])], &unlimited())
            .expect("no error");
        assert_eq!(paths, [[["niche"]], [[UNASSIGNED]]], "a client without the label is unassigned");
    }
}
