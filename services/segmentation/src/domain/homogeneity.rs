//! Homogeneity (docs/domain.md §2, "relevant, homogeneous"): how much of the variation of a
//! basis variable the segments explain, at every level of the segment tree. Numeric
//! variables: η² (correlation ratio); categorical variables: Cramér's V of variable ×
//! segment. Level 1 compares the top-level segments and the unassigned bucket; each segment
//! with sub-segments compares its sub-segments and the members that stay in it only.

use std::collections::BTreeMap;

use crm_proto::crm::segmentation::v1::{Homogeneity, SegmentationBasis};

use super::{fx::Fx, quality::mean, scheme::CompiledScheme, view::ClientRecord};

/// η² of groups of observations: (between-group SS / total SS, between SS, total SS).
/// η² is 0 when the total SS is 0 (every observation equal).
pub fn eta_squared(groups: &[Vec<f64>]) -> (f64, f64, f64) {
    let all: Vec<f64> = groups.iter().flatten().copied().collect();
    let grand = mean(&all);
    let total: f64 = all.iter().map(|x| (x - grand).powi(2)).sum();
    let between: f64 =
        groups.iter().filter(|g| !g.is_empty()).map(|g| g.len() as f64 * (mean(g) - grand).powi(2)).sum();
    let eta = if total > 0.0 { (between / total).clamp(0.0, 1.0) } else { 0.0 };
    (eta, between, total)
}

/// Cramér's V of the contingency table of groups × values: √(χ² / (n · (min(r, c) − 1))),
/// r and c counting the non-empty groups and distinct values; 0 when either is below 2.
pub fn cramers_v(groups: &[Vec<&str>]) -> f64 {
    let rows: Vec<&Vec<&str>> = groups.iter().filter(|g| !g.is_empty()).collect();
    let mut columns: BTreeMap<&str, f64> = BTreeMap::new();
    for v in rows.iter().flat_map(|g| g.iter()) {
        *columns.entry(v).or_default() += 1.0;
    }
    let n: f64 = columns.values().sum();
    let k = rows.len().min(columns.len());
    if k < 2 {
        return 0.0;
    }
    let mut chi2 = 0.0;
    for row in &rows {
        let mut observed: BTreeMap<&str, f64> = BTreeMap::new();
        for v in row.iter() {
            *observed.entry(v).or_default() += 1.0;
        }
        let row_total = row.len() as f64;
        for (value, column_total) in &columns {
            let expected = row_total * column_total / n;
            let o = observed.get(value).copied().unwrap_or(0.0);
            chi2 += (o - expected).powi(2) / expected;
        }
    }
    (chi2 / (n * (k as f64 - 1.0))).sqrt().clamp(0.0, 1.0)
}

/// A client with its segment path (indexes, one per level; empty = unassigned).
pub struct Member<'a> {
    pub record: &'a ClientRecord,
    pub path: &'a [usize],
}

/// One comparison: the parent (None = the portfolio), its level and the members' groups
/// (one per sub-segment in order, then those staying in the parent / unassigned).
struct Comparison<'a> {
    parent: Option<usize>,
    level: i32,
    groups: Vec<Vec<&'a Member<'a>>>,
}

fn comparisons<'a>(compiled: &CompiledScheme, all: &'a [Member<'a>]) -> Vec<Comparison<'a>> {
    let mut out = Vec::new();
    let mut top: Vec<Vec<&Member<'_>>> = vec![Vec::new(); compiled.roots.len() + 1];
    for m in all {
        let g = m.path.first().and_then(|i| compiled.roots.iter().position(|r| r == i));
        top[g.unwrap_or(compiled.roots.len())].push(m);
    }
    out.push(Comparison { parent: None, level: 1, groups: top });
    for (index, segment) in compiled.segments.iter().enumerate().filter(|(_, s)| !s.children.is_empty()) {
        let depth = usize::try_from(segment.level).unwrap_or(0);
        let mut groups: Vec<Vec<&Member<'_>>> = vec![Vec::new(); segment.children.len() + 1];
        for m in all.iter().filter(|m| m.path.get(depth - 1) == Some(&index)) {
            let g = m.path.get(depth).and_then(|c| segment.children.iter().position(|x| x == c));
            groups[g.unwrap_or(segment.children.len())].push(m);
        }
        out.push(Comparison { parent: Some(index), level: segment.level + 1, groups });
    }
    out
}

/// Homogeneity of every numeric and categorical variable at every level; `name` gives a
/// segment's resource name.
pub fn per_level(
    compiled: &CompiledScheme,
    numeric: &[(SegmentationBasis, &str)],
    categorical: &[(SegmentationBasis, &str)],
    all: &[Member<'_>],
    fx: &Fx,
    name: impl Fn(usize) -> String,
) -> Vec<Homogeneity> {
    let mut out = Vec::new();
    for Comparison { parent, level, groups } in comparisons(compiled, all) {
        let parent_segment = parent.map(&name).unwrap_or_default();
        for &(basis, var) in numeric {
            let values: Vec<Vec<f64>> =
                groups.iter().map(|g| g.iter().filter_map(|m| m.record.numeric(var, fx)).collect()).collect();
            let (eta, between, total) = eta_squared(&values);
            out.push(Homogeneity {
                basis: basis as i32,
                variable: var.to_owned(),
                eta_squared: eta,
                between_sum_of_squares: between,
                total_sum_of_squares: total,
                level,
                observations: values.iter().map(Vec::len).sum::<usize>() as i64,
                parent_segment: parent_segment.clone(),
                ..Default::default()
            });
        }
        for &(basis, var) in categorical {
            let values: Vec<Vec<String>> = groups
                .iter()
                .map(|g| {
                    g.iter()
                        .map(|m| m.record.categorical(var))
                        .filter(|v| !v.is_empty() && v != "UNSPECIFIED")
                        .collect()
                })
                .collect();
            let refs: Vec<Vec<&str>> = values.iter().map(|g| g.iter().map(String::as_str).collect()).collect();
            out.push(Homogeneity {
                basis: basis as i32,
                variable: var.to_owned(),
                level,
                cramers_v: cramers_v(&refs),
                categorical: true,
                observations: refs.iter().map(Vec::len).sum::<usize>() as i64,
                parent_segment: parent_segment.clone(),
                ..Default::default()
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_squared_matches_a_hand_computation() {
        // Groups {1,2,3} and {7,8,9}: grand mean 5; total SS = 16+9+4+4+9+16 = 58;
        // between SS = 3·(2−5)² + 3·(8−5)² = 54; η² = 54/58.
        let (eta, between, total) = eta_squared(&[vec![1.0, 2.0, 3.0], vec![7.0, 8.0, 9.0]]);
        assert!((between - 54.0).abs() < 1e-9 && (total - 58.0).abs() < 1e-9);
        assert!((eta - 54.0 / 58.0).abs() < 1e-12);
        // Identical groups explain nothing; constant data has no variance to explain.
        assert_eq!(eta_squared(&[vec![1.0, 3.0], vec![1.0, 3.0]]).0, 0.0);
        assert_eq!(eta_squared(&[vec![4.0, 4.0], vec![4.0], vec![]]), (0.0, 0.0, 0.0));
    }

    #[test]
    fn cramers_v_is_one_when_the_segment_decides_the_value_and_zero_when_it_says_nothing() {
        assert!((cramers_v(&[vec!["SME", "SME"], vec!["MID", "MID"]]) - 1.0).abs() < 1e-12);
        assert_eq!(cramers_v(&[vec!["SME", "MID"], vec!["SME", "MID"]]), 0.0);
        assert_eq!(cramers_v(&[vec!["SME", "SME"], vec![]]), 0.0, "one group: nothing to compare");
        // 2×2 table [[3,1],[1,3]]: χ² = 4·(1)²/2 = 2, n = 8, V = √(2/8) = 0.5.
        let v = cramers_v(&[vec!["a", "a", "a", "b"], vec!["a", "b", "b", "b"]]);
        assert!((v - 0.5).abs() < 1e-12, "{v}");
    }
}
