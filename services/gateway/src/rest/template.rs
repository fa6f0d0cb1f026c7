//! `google.api.http` path templates: parsing and matching.
//!
//! ```text
//! Template = "/" Segments [ Verb ] ;   Segment = "*" | "**" | LITERAL | Variable ;
//! Variable = "{" FieldPath [ "=" Segments ] "}" ;   Verb = ":" LITERAL ;
//! ```
//! e.g. `/v1/{name=clients/*}:view360` or `/v1/{client.name=clients/*}`.

/// A parsed path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
    variables: Vec<Variable>,
    verb: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `*`: one segment.
    Any,
    /// `**`: the rest of the path (last only).
    Rest,
}

/// A variable bound to segments `start..end` of the template.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Variable {
    field: String,
    start: usize,
    end: usize,
}

impl Template {
    /// Parses a template; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let body = text.strip_prefix('/').ok_or_else(|| format!("{text:?} does not start with '/'"))?;
        let (path, verb) = split_verb(body);
        let mut template = Template { segments: Vec::new(), variables: Vec::new(), verb: verb.map(str::to_owned) };
        for token in split_top_level(path) {
            if let Some(inner) = token.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                let (field, pattern) = inner.split_once('=').unwrap_or((inner, "*"));
                let start = template.segments.len();
                for part in pattern.split('/') {
                    template.segments.push(Segment::from_token(part)?);
                }
                template.variables.push(Variable { field: field.to_owned(), start, end: template.segments.len() });
            } else {
                template.segments.push(Segment::from_token(token)?);
            }
        }
        let rest_at = template.segments.iter().position(|s| *s == Segment::Rest);
        if rest_at.is_some_and(|i| i + 1 != template.segments.len()) {
            return Err(format!("{text:?}: '**' must be the last segment"));
        }
        Ok(template)
    }

    /// The request fields bound by this template, e.g. `["client.name"]`.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.variables.iter().map(|v| v.field.as_str())
    }

    /// The OpenAPI form: `/v1/{name}:view360` (variables by field path).
    pub fn openapi_path(&self) -> String {
        self.openapi().0
    }

    /// The OpenAPI path parameters, `(parameter, field)`: one per `*` of each variable.
    pub fn openapi_parameters(&self) -> Vec<(String, String)> {
        self.openapi().1
    }

    /// The path as OpenAPI writes it, with one parameter per single-segment wildcard (named
    /// after the collection before it: `clients/*` is `clients/{clientId}`), so that a
    /// client generator builds the same URL the transcoder matches (an OpenAPI parameter
    /// cannot hold a `/`); and the parameters with the field each is part of.
    fn openapi(&self) -> (String, Vec<(String, String)>) {
        let mut out = String::new();
        let mut parameters: Vec<(String, String)> = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            out.push('/');
            let var = self.variables.iter().find(|v| (v.start..v.end).contains(&i));
            match (segment, var) {
                (Segment::Literal(_), _) | (_, None) => out.push_str(&segment.to_string()),
                (_, Some(var)) => {
                    let collection = match i.checked_sub(1).map(|p| &self.segments[p]) {
                        Some(Segment::Literal(c)) if i > var.start => Some(c.as_str()),
                        _ => None,
                    };
                    let mut name = match collection {
                        Some(c) => format!("{}Id", c.strip_suffix('s').unwrap_or(c)),
                        None => var.field.replace('.', "_"),
                    };
                    while parameters.iter().any(|(p, _)| *p == name) {
                        name.push('_');
                    }
                    out.push('{');
                    out.push_str(&name);
                    out.push('}');
                    parameters.push((name, var.field.clone()));
                }
            }
        }
        if let Some(verb) = &self.verb {
            out.push(':');
            out.push_str(verb);
        }
        (out, parameters)
    }

    /// The pattern a variable's value must follow, e.g. `clients/*`.
    pub fn variable_pattern(&self, field: &str) -> Option<String> {
        let var = self.variables.iter().find(|v| v.field == field)?;
        Some(self.segments[var.start..var.end].iter().map(ToString::to_string).collect::<Vec<_>>().join("/"))
    }

    /// Matches a request path (percent-encoded, without query); on success the variables'
    /// values, percent-decoded, in template order.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let body = path.strip_prefix('/')?;
        let (body, verb) = split_verb(body);
        if verb != self.verb.as_deref() {
            return None;
        }
        let parts: Vec<&str> = body.split('/').collect();
        let mut bounds = Vec::with_capacity(self.segments.len());
        let mut at = 0;
        for segment in &self.segments {
            match segment {
                Segment::Literal(lit) => {
                    if parts.get(at) != Some(&lit.as_str()) {
                        return None;
                    }
                    at += 1;
                }
                Segment::Any => {
                    if parts.get(at).is_none_or(|p| p.is_empty()) {
                        return None;
                    }
                    at += 1;
                }
                Segment::Rest => at = parts.len(),
            }
            bounds.push(at);
        }
        if at != parts.len() {
            return None;
        }
        let begin = |i: usize| if i == 0 { 0 } else { bounds[i - 1] };
        self.variables
            .iter()
            .map(|v| {
                let value = parts[begin(v.start)..bounds[v.end - 1]].join("/");
                Some((v.field.clone(), percent_decode(&value)?))
            })
            .collect()
    }
}

impl Segment {
    fn from_token(token: &str) -> Result<Self, String> {
        match token {
            "" => Err("empty path segment".to_owned()),
            "*" => Ok(Segment::Any),
            "**" => Ok(Segment::Rest),
            lit if lit.contains(['{', '}', '=']) => Err(format!("bad literal segment {lit:?}")),
            lit => Ok(Segment::Literal(lit.to_owned())),
        }
    }
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Segment::Literal(lit) => f.write_str(lit),
            Segment::Any => f.write_str("*"),
            Segment::Rest => f.write_str("**"),
        }
    }
}

/// Splits `:verb` off the last segment (outside braces).
fn split_verb(path: &str) -> (&str, Option<&str>) {
    let last_start = path.rfind(['/', '}']).map_or(0, |i| i + 1);
    match path[last_start..].rfind(':') {
        Some(i) => (&path[..last_start + i], Some(&path[last_start + i + 1..])),
        None => (path, None),
    }
}

/// Splits on '/' outside braces.
fn split_top_level(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in path.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '/' if depth == 0 => {
                out.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&path[start..]);
    out
}

/// Decodes `%XX` escapes (and, with `plus_as_space`, '+'); `None` for malformed UTF-8 or escapes.
pub fn percent_decode_with(text: &str, plus_as_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn percent_decode(text: &str) -> Option<String> {
    percent_decode_with(text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(t: &str, path: &str) -> Option<Vec<(String, String)>> {
        Template::parse(t).expect("template").matches(path)
    }

    #[test]
    fn matches_resource_names_and_nested_fields() {
        assert_eq!(vars("/v1/{name=clients/*}", "/v1/clients/c-1"), Some(vec![("name".into(), "clients/c-1".into())]));
        assert_eq!(
            vars("/v1/{client.name=clients/*}", "/v1/clients/c%201"),
            Some(vec![("client.name".into(), "clients/c 1".into())])
        );
        assert_eq!(vars("/v1/{name=clients/*}", "/v1/clients"), None);
        assert_eq!(vars("/v1/{name=clients/*}", "/v1/clients/a/b"), None);
        assert_eq!(vars("/v1/{parent=clients/*}/contacts", "/v1/clients/x/contacts").map(|v| v.len()), Some(1));
        assert_eq!(vars("/v1/{name}", "/v1/abc"), Some(vec![("name".into(), "abc".into())]));
        assert_eq!(vars("/v1/{path=files/**}", "/v1/files/a/b/c"), Some(vec![("path".into(), "files/a/b/c".into())]));
    }

    #[test]
    fn custom_verbs_are_part_of_the_match() {
        assert_eq!(vars("/v1/clients:lookup", "/v1/clients:lookup"), Some(vec![]));
        assert_eq!(vars("/v1/clients:lookup", "/v1/clients"), None);
        assert_eq!(vars("/v1/clients", "/v1/clients:lookup"), None);
        assert_eq!(
            vars("/v1/{name=clients/*}:undelete", "/v1/clients/c-9:undelete"),
            Some(vec![("name".into(), "clients/c-9".into())])
        );
        assert_eq!(vars("/v1/{name=clients/*}", "/v1/clients/c-9:undelete"), None);
        assert_eq!(vars("/v1/{name=clients/*}:view360", "/v1/clients:view360"), None);
    }

    #[test]
    fn openapi_paths_name_the_fields() {
        let t = Template::parse("/v1/{name=clients/*}:view360").expect("template");
        assert_eq!(t.openapi_path(), "/v1/clients/{clientId}:view360");
        assert_eq!(t.openapi_parameters(), [("clientId".to_owned(), "name".to_owned())]);
        let t = Template::parse("/v1/{case.name=clients/*/cases/*}").expect("template");
        assert_eq!(t.openapi_path(), "/v1/clients/{clientId}/cases/{caseId}");
        assert_eq!(t.openapi_parameters().len(), 2);
        let t = Template::parse("/v1/{name=clients/*/valueScore}:compute").expect("template");
        assert_eq!(t.openapi_path(), "/v1/clients/{clientId}/valueScore:compute");
        assert_eq!(t.variable_pattern("name").as_deref(), Some("clients/*/valueScore"));
        assert_eq!(Template::parse("/v1/{name}").expect("template").openapi_path(), "/v1/{name}");
        assert!(Template::parse("v1/x").is_err());
        assert!(Template::parse("/v1/**/x").is_err());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode_with("a%2Fb+c", true).as_deref(), Some("a/b c"));
        assert_eq!(percent_decode_with("%E5%8D%8E", false).as_deref(), Some("华"));
        assert_eq!(percent_decode_with("%zz", false), None);
    }
}
