//! CEL expressions over a documented, flat view of a record (docs/architecture.md §6).
//!
//! Every service that accepts expressions (List filters, segment rules) checks them the same
//! way before use: parsed with the line and column of any syntax error reported as a field
//! violation, only one variable (e.g. `client`) and only its documented fields, no message
//! construction, and a bounded number of nodes (which bounds evaluation cost). Expressions
//! are evaluated in the service over rows it read, never turned into SQL.
//!
//! The cost of one evaluation is estimated statically when the expression is checked
//! ([`cost`]): nested comprehensions multiply it, and an expression over [`MAX_COST`] is
//! refused. Evaluation over many rows runs through [`evaluate`], on blocking threads off the
//! async workers, checking a deadline between rows ([`Budget`]).
//!
//! Evaluation builds the standard CEL context (its function registry) once per batch with
//! [`Evaluator::new`]; each row is bound in a cheap child scope with [`Evaluator::scope`], in
//! which any number of checked expressions can be tested.

mod cost;
mod pool;

pub use pool::{Budget, evaluate};

use std::collections::BTreeSet;

use cel::{
    Context, ExecutionError, Program, Value,
    common::ast::{EntryExpr, Expr, IdedExpr},
};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// Default bound on expression nodes.
pub const DEFAULT_MAX_NODES: usize = 256;

/// Most estimated cost of one evaluation (in nodes visited, see [`cost`]): a plain rule of
/// a few hundred nodes, or a comprehension over a record's lists, stays far below it;
/// comprehensions nested over literal lists do not.
pub const MAX_COST: u64 = 20_000;

/// What an expression may contain, and where its violations are reported.
#[derive(Clone, Copy, Debug)]
pub struct ExprRules<'a> {
    /// Field path of violations, e.g. `filter` or `scheme.segments[2].rule`.
    pub field: &'a str,
    /// The one variable in scope, e.g. `client`.
    pub variable: &'a str,
    /// Fields of the variable that may be read.
    pub fields: &'a [&'a str],
    /// Longest source accepted, in characters.
    pub max_len: usize,
    /// Most expression nodes accepted.
    pub max_nodes: usize,
}

/// A parsed and checked expression.
pub struct CheckedExpr {
    program: Program,
    fields: BTreeSet<String>,
    cost: u64,
}

impl std::fmt::Debug for CheckedExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedExpr").field("fields", &self.fields).finish_non_exhaustive()
    }
}

impl CheckedExpr {
    /// Parses and checks `source` (which must not be blank); every failure is
    /// INVALID_ARGUMENT on `rules.field`, syntax errors with their line and column.
    pub fn parse(source: &str, rules: &ExprRules<'_>) -> ApiResult<Self> {
        let source = source.trim();
        if source.is_empty() {
            return Err(ApiError::invalid(rules.field, "is required"));
        }
        if source.chars().count() > rules.max_len {
            return Err(ApiError::invalid(rules.field, format!("must be at most {} characters", rules.max_len)));
        }
        let program = Program::compile(source).map_err(|errs| {
            let detail = errs
                .errors
                .iter()
                .map(|e| format!("line {}, column {}: {}", e.pos.0, e.pos.1 + 1, e.msg))
                .collect::<Vec<_>>()
                .join("; ");
            ApiError::invalid(rules.field, format!("not a valid CEL expression: {detail}"))
        })?;
        let mut check = Check { rules, nodes: 0, fields: BTreeSet::new(), problems: Vec::new() };
        check.walk(program.expression(), &[]);
        if check.nodes > rules.max_nodes {
            return Err(ApiError::invalid(
                rules.field,
                format!("is too complex (more than {} nodes)", rules.max_nodes),
            ));
        }
        if let Some(problem) = check.problems.into_iter().next() {
            return Err(ApiError::invalid(rules.field, problem));
        }
        let cost = cost::estimate(program.expression());
        if cost > MAX_COST {
            return Err(ApiError::invalid(
                rules.field,
                format!(
                    "is too costly to evaluate (estimated {cost} steps per record, at most {MAX_COST}); avoid nesting comprehensions"
                ),
            ));
        }
        Ok(Self { program, fields: check.fields, cost })
    }

    /// The estimated cost of one evaluation (see [`cost`]).
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// The fields of the variable the expression reads, in name order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(String::as_str)
    }
}

/// Converts a serde-serializable view to a CEL value.
pub fn to_value<T: Serialize>(view: T) -> ApiResult<Value> {
    cel::to_value(view).map_err(ApiError::internal)
}

/// Why an expression gave no boolean for a row.
#[derive(Debug)]
pub enum EvalError {
    /// It evaluated to a value of another type (its type is named).
    NotBoolean(String),
    /// Evaluation failed, e.g. comparing a string with a number, or a missing map key.
    Failed(ExecutionError),
}

impl EvalError {
    /// Whether evaluation failed only because a map key was absent in this row's data
    /// (data-dependent, not a defect of the expression).
    pub fn is_missing_key(&self) -> bool {
        matches!(self, Self::Failed(ExecutionError::NoSuchKey(_)))
    }

    /// INVALID_ARGUMENT on `field` describing the failure.
    pub fn into_api(self, field: &str) -> ApiError {
        match self {
            Self::NotBoolean(ty) => ApiError::invalid(field, format!("must evaluate to a boolean, got {ty}")),
            Self::Failed(err) => ApiError::invalid(field, format!("cannot be evaluated: {err}")),
        }
    }
}

/// The standard CEL context of one batch of rows.
pub struct Evaluator {
    root: Context<'static, 'static>,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Evaluator")
    }
}

impl Default for Evaluator {
    fn default() -> Self {
        Self::new()
    }
}

impl Evaluator {
    /// Builds the standard context (function registry) once.
    pub fn new() -> Self {
        Self { root: Context::default() }
    }

    /// A child scope in which `variable` is bound to `value` (one row).
    pub fn scope(&self, variable: &str, value: Value) -> Scope<'_> {
        let mut context = self.root.new_inner_scope();
        context.add_variable_from_value(variable, value);
        Scope { context }
    }
}

/// One row bound in the batch context.
pub struct Scope<'a> {
    context: Context<'a, 'static>,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scope")
    }
}

impl Scope<'_> {
    /// Evaluates `expr` in this scope; it must yield a boolean.
    pub fn test(&self, expr: &CheckedExpr) -> Result<bool, EvalError> {
        match expr.program.execute(&self.context) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(EvalError::NotBoolean(format!("{:?}", other.type_of()))),
            Err(err) => Err(EvalError::Failed(err)),
        }
    }
}

struct Check<'r> {
    rules: &'r ExprRules<'r>,
    nodes: usize,
    fields: BTreeSet<String>,
    problems: Vec<String>,
}

impl Check<'_> {
    /// Walks the expression; `locals` are comprehension variables in scope.
    fn walk(&mut self, e: &IdedExpr, locals: &[&str]) {
        self.nodes += 1;
        let variable = self.rules.variable;
        match &e.expr {
            Expr::Ident(name) if locals.contains(&name.as_str()) => {}
            Expr::Ident(name) if name != variable => {
                self.problems.push(format!("unknown variable '{name}': expressions read fields of '{variable}'"));
            }
            // The variable itself only as `variable.field` (handled below): `variable["x"]` or
            // `variable` alone would read fields past the allowed list.
            Expr::Ident(_) => {
                self.problems.push(format!("read '{variable}' field by field, as {variable}.<field>"));
            }
            Expr::Select(select) => match &select.operand.expr {
                Expr::Ident(root) if root == variable && !locals.contains(&root.as_str()) => {
                    if self.rules.fields.contains(&select.field.as_str()) {
                        self.fields.insert(select.field.clone());
                    } else {
                        self.problems.push(format!(
                            "'{variable}.{}' is not a known field; use one of: {}",
                            select.field,
                            self.rules.fields.join(", ")
                        ));
                    }
                }
                _ => self.walk(&select.operand, locals),
            },
            Expr::Call(call) => {
                if let Some(target) = &call.target {
                    self.walk(target, locals);
                }
                for arg in &call.args {
                    self.walk(arg, locals);
                }
            }
            Expr::List(list) => list.elements.iter().for_each(|x| self.walk(x, locals)),
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(m) = &entry.expr {
                        self.walk(&m.key, locals);
                        self.walk(&m.value, locals);
                    }
                }
            }
            Expr::Comprehension(c) => {
                let mut inner: Vec<&str> = locals.to_vec();
                inner.push(&c.iter_var);
                inner.push(&c.accu_var);
                if let Some(v2) = &c.iter_var2 {
                    inner.push(v2);
                }
                self.walk(&c.iter_range, locals);
                for part in [&c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                    self.walk(part, &inner);
                }
            }
            Expr::Struct(_) => self.problems.push("message construction is not allowed".to_owned()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 3] = ["city", "units", "tags"];

    fn rules(field: &str) -> ExprRules<'_> {
        ExprRules { field, variable: "row", fields: &FIELDS, max_len: 2000, max_nodes: 64 }
    }

    #[derive(Serialize)]
    struct Row {
        city: &'static str,
        units: i64,
        tags: Vec<&'static str>,
    }

    #[test]
    fn checks_fields_variables_size_and_reports_positions() {
        let err = CheckedExpr::parse("row.city ==\n  ", &rules("f")).expect_err("syntax");
        assert_eq!(err.violations()[0].field, "f");
        assert!(err.violations()[0].description.contains("line 1"), "{:?}", err.violations());
        let err = CheckedExpr::parse("row.secret == 1", &rules("x.rule")).expect_err("field");
        assert_eq!(err.violations()[0].field, "x.rule");
        assert!(CheckedExpr::parse("other.city == 'a'", &rules("f")).is_err());
        assert!(CheckedExpr::parse("  ", &rules("f")).is_err());
        assert!(CheckedExpr::parse(&"a".repeat(3000), &rules("f")).is_err());
        let deep = (0..40).map(|i| format!("row.units > {i}")).collect::<Vec<_>>().join(" && ");
        let err = CheckedExpr::parse(&deep, &rules("f")).expect_err("too big");
        assert!(err.violations()[0].description.contains("too complex"), "{err}");
        let ok = CheckedExpr::parse("row.tags.exists(t, t == 'x') && row.city == 'a'", &rules("f")).expect("ok");
        assert_eq!(ok.fields().collect::<Vec<_>>(), ["city", "tags"]);
        // The variable is read field by field only: indexing it would pass any name.
        for sneaky in [r#"row["secret"] == 1"#, r#"row["city"] == "a""#, "row == {}", "size(row) > 0"] {
            let err = CheckedExpr::parse(sneaky, &rules("f")).expect_err(sneaky);
            assert!(err.violations()[0].description.contains("field by field"), "{sneaky}: {err}");
        }
        assert!(CheckedExpr::parse("has(row.city) && row.tags[0] == 'x'", &rules("f")).is_ok());
    }

    #[test]
    fn nested_comprehensions_over_literal_lists_are_refused_before_they_run() {
        // Under 200 characters; each level of nesting costs ten times the one inside it.
        let ten = "[1,2,3,4,5,6,7,8,9,0]";
        let stall = format!("{ten}.all(a, {ten}.all(b, {ten}.all(c, {ten}.exists(d, {ten}.all(e, a+b+c+d+e >= 0)))))");
        assert!(stall.len() < 200, "{}", stall.len());
        let wide = ExprRules { max_nodes: DEFAULT_MAX_NODES, ..rules("filter") };
        let err = CheckedExpr::parse(&stall, &wide).expect_err("too costly");
        assert_eq!(err.violations()[0].field, "filter");
        assert!(err.violations()[0].description.contains("too costly"), "{err}");
        let fine = format!("{ten}.exists(a, row.units > a) && row.tags.exists(t, t == 'x')");
        assert!(CheckedExpr::parse(&fine, &wide).is_ok());
    }

    #[test]
    fn evaluates_many_expressions_in_one_row_scope() {
        let evaluator = Evaluator::new();
        let row = Row { city: "Shanghai", units: 7, tags: vec!["TRADE_FINANCE"] };
        let scope = evaluator.scope("row", to_value(&row).expect("value"));
        let yes = CheckedExpr::parse(r#""TRADE_FINANCE" in row.tags && row.units > 5"#, &rules("f")).expect("yes");
        let no = CheckedExpr::parse(r#"row.city.startsWith("Bei")"#, &rules("f")).expect("no");
        assert!(scope.test(&yes).expect("bool"));
        assert!(!scope.test(&no).expect("bool"));
        let not_bool = CheckedExpr::parse("row.units", &rules("f")).expect("parse");
        assert!(matches!(scope.test(&not_bool), Err(EvalError::NotBoolean(_))));
        let type_error = CheckedExpr::parse("row.city > 3", &rules("f")).expect("parse");
        let err = scope.test(&type_error).expect_err("type error");
        assert!(!err.is_missing_key());
        assert_eq!(err.into_api("f").code(), tonic::Code::InvalidArgument);
    }
}
