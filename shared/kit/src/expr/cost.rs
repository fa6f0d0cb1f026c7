//! A static upper bound on what one evaluation of an expression costs, computed when it is
//! checked, so that an expression whose cost grows with nesting (comprehensions over
//! comprehensions) is refused before it runs.
//!
//! The unit is one expression node visited. A comprehension (`all`, `exists`, `map`,
//! `filter`, ...) costs its range, its initial value and its result once, and its loop
//! condition and step once per element of the range. The size of a range is exact for a
//! list or map literal, that of the range mapped for a `map`/`filter` result, and assumed
//! to be [`ASSUMED_COLLECTION`] for a field of the record or anything computed; evaluation
//! is bounded by a deadline too, for records whose lists are longer than assumed.

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

/// Elements assumed in a collection whose size is not known before evaluation.
pub const ASSUMED_COLLECTION: u64 = 32;

/// Extra cost of a call that does more than visit a node (a regular expression is compiled
/// and run on each evaluation).
const EXPENSIVE_CALL: u64 = 64;

/// The estimated cost of one evaluation of `e` (saturating).
pub fn estimate(e: &IdedExpr) -> u64 {
    match &e.expr {
        Expr::Call(call) => {
            let own = if matches!(call.func_name.as_str(), "matches") { EXPENSIVE_CALL } else { 1 };
            let target = call.target.as_deref().map_or(0, estimate);
            call.args.iter().map(estimate).fold(own.saturating_add(target), u64::saturating_add)
        }
        Expr::Comprehension(c) => {
            let per_element = estimate(&c.loop_cond).saturating_add(estimate(&c.loop_step));
            [&c.iter_range, &c.accu_init, &c.result]
                .into_iter()
                .map(estimate)
                .fold(size(&c.iter_range).saturating_mul(per_element), u64::saturating_add)
                .saturating_add(1)
        }
        Expr::List(list) => list.elements.iter().map(estimate).fold(1, u64::saturating_add),
        Expr::Map(map) => map
            .entries
            .iter()
            .map(|entry| match &entry.expr {
                EntryExpr::MapEntry(m) => estimate(&m.key).saturating_add(estimate(&m.value)),
                EntryExpr::StructField(f) => estimate(&f.value),
            })
            .fold(1, u64::saturating_add),
        Expr::Select(select) => estimate(&select.operand).saturating_add(1),
        Expr::Struct(s) => s
            .entries
            .iter()
            .map(|entry| match &entry.expr {
                EntryExpr::MapEntry(m) => estimate(&m.key).saturating_add(estimate(&m.value)),
                EntryExpr::StructField(f) => estimate(&f.value),
            })
            .fold(1, u64::saturating_add),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => 1,
    }
}

/// The number of elements `e` yields when iterated.
fn size(e: &IdedExpr) -> u64 {
    match &e.expr {
        Expr::List(list) => list.elements.len() as u64,
        Expr::Map(map) => map.entries.len() as u64,
        // `map` and `filter` yield at most as many elements as they range over.
        Expr::Comprehension(c) => size(&c.iter_range),
        _ => ASSUMED_COLLECTION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(source: &str) -> u64 {
        estimate(cel::Program::compile(source).expect("parses").expression())
    }

    #[test]
    fn plain_expressions_cost_their_nodes_and_nesting_multiplies() {
        let flat = cost("row.units > 5 && row.city == 'a'");
        assert!(flat < 16, "{flat}");
        let list = (1..=10).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let one = cost(&format!("[{list}].all(a, a > 0)"));
        let two = cost(&format!("[{list}].all(a, [{list}].all(b, a + b > 0))"));
        let three = cost(&format!("[{list}].all(a, [{list}].all(b, [{list}].all(c, a + b + c > 0)))"));
        assert!(two > 8 * one && three > 8 * two, "{one} {two} {three}");
        assert!(cost("row.tags.exists(t, t == 'x')") >= ASSUMED_COLLECTION);
        assert!(cost("row.city.matches('^S')") > cost("row.city.startsWith('S')"));
        assert!(cost(&format!("[{list}].map(x, x * 2).all(y, y > 0)")) < two);
    }
}
