//! The worksheet of a computation: each term is recorded as a component with its formula,
//! its inputs and its exact value, in the order it is computed.

use crm_proto::crm::scoring::v1::{ComponentInput, ScoreComponent};

use super::decimal::Dec;

/// One input: name, value, source.
pub type In<'a> = (&'a str, String, String);

/// Records terms as they are computed.
pub struct Sheet {
    currency: String,
    components: Vec<ScoreComponent>,
}

impl Sheet {
    /// A worksheet whose money terms are in `currency`.
    pub fn new(currency: &str) -> Self {
        Self { currency: currency.to_owned(), components: Vec::new() }
    }

    /// Records a numeric term and returns its value. `unit` "money" means the currency.
    pub fn term(&mut self, name: &str, formula: &str, unit: &str, inputs: Vec<In<'_>>, value: Dec) -> Dec {
        self.push(name, formula, unit, inputs, value.to_string());
        value
    }

    /// Records a term with a label value (a grade, a tier).
    pub fn push(&mut self, name: &str, formula: &str, unit: &str, inputs: Vec<In<'_>>, value: String) {
        let unit = if unit == "money" { self.currency.clone() } else { unit.to_owned() };
        self.components.push(ScoreComponent {
            name: name.into(),
            formula: formula.into(),
            inputs: inputs
                .into_iter()
                .map(|(name, value, source)| ComponentInput { name: name.into(), value, source })
                .collect(),
            value,
            unit,
        });
    }

    /// The recorded terms, in order.
    pub fn into_components(self) -> Vec<ScoreComponent> {
        self.components
    }
}

/// The source of an input that is an earlier term.
pub fn from(name: &str) -> String {
    format!("component {name}")
}

/// An exact input.
pub fn x(name: &str, value: Dec, source: impl Into<String>) -> In<'_> {
    (name, value.to_string(), source.into())
}
