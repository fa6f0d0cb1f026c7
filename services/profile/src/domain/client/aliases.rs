//! A client's other names: common short names, brands and former names, each with its kind
//! and source. Search reads them like the legal and display names.

use crm_kit::Violations;
use crm_proto::crm::profile::v1::{AliasKind, ClientAlias, SourceType};

use crate::domain::text;

/// Most other names one client may carry.
const MAX_ALIASES: usize = 20;

/// The parsed other names of a client: trimmed, of a known kind, without repeats (names that
/// fold to the same search key are one name: the first is kept).
#[derive(Clone, Debug, PartialEq)]
pub struct Aliases(Vec<ClientAlias>);

impl Aliases {
    pub fn parse(v: &mut Violations, field: &str, aliases: Vec<ClientAlias>) -> Option<Self> {
        let mut ok = true;
        if aliases.len() > MAX_ALIASES {
            v.add(field.to_owned(), format!("at most {MAX_ALIASES} names"));
            ok = false;
        }
        let mut kept: Vec<ClientAlias> = Vec::with_capacity(aliases.len());
        for (i, mut alias) in aliases.into_iter().enumerate() {
            alias.name = alias.name.trim().to_owned();
            let length = alias.name.chars().count();
            if length == 0 || length > 200 {
                v.add(format!("{field}[{i}].name"), "is required, at most 200 characters");
                ok = false;
            }
            if !matches!(
                AliasKind::try_from(alias.kind),
                Ok(AliasKind::Alias | AliasKind::FormerName | AliasKind::Brand)
            ) {
                v.add(format!("{field}[{i}].kind"), "must be ALIAS, FORMER_NAME or BRAND");
                ok = false;
            }
            if alias.provenance.as_ref().is_some_and(|p| SourceType::try_from(p.source_type).is_err()) {
                v.add(format!("{field}[{i}].provenance.source_type"), "is not a known source type");
                ok = false;
            }
            let key = text::name_key(&alias.name);
            if !kept.iter().any(|k| text::name_key(&k.name) == key) {
                kept.push(alias);
            }
        }
        ok.then_some(Self(kept))
    }

    pub fn into_vec(self) -> Vec<ClientAlias> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alias(name: &str, kind: AliasKind) -> ClientAlias {
        ClientAlias { name: name.into(), kind: kind as i32, provenance: None }
    }

    #[test]
    fn aliases_are_trimmed_known_and_without_repeats() {
        let mut v = Violations::default();
        let parsed = Aliases::parse(
            &mut v,
            "client.aliases",
            vec![alias(" 工行 ", AliasKind::Alias), alias("工行", AliasKind::Brand), alias("ICBC", AliasKind::Brand)],
        );
        let names: Vec<String> = parsed.expect("valid").into_vec().into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["工行", "ICBC"]);
        let mut v = Violations::default();
        assert!(Aliases::parse(&mut v, "client.aliases", vec![alias("", AliasKind::Unspecified)]).is_none());
        assert_eq!(crate::domain::recorded(v), ["client.aliases[0].name", "client.aliases[0].kind"]);
    }
}
