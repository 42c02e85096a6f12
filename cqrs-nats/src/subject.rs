//! The subject each relayed event is published on.

use cqrs_core::EventHeader;

/// A subject template: literal tokens and the placeholders `{aggregate}` (the
/// stream id up to its first `-`, so `cart` for `cart-alice`), `{event_name}`
/// (the persisted name; its dots make further tokens) and `{stream_id}`. Characters
/// a subject cannot hold (space, `*`, `>`, control characters) become `_`, and
/// empty tokens become `_`.
///
/// ```
/// use cqrs_nats::SubjectTemplate;
///
/// let template = SubjectTemplate::new("shop.{aggregate}.{event_name}").unwrap();
/// assert_eq!(template.wildcard(), "shop.>");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTemplate {
    template: String,
    prefix: String,
}

/// A template that cannot make subjects.
#[derive(Debug, thiserror::Error)]
#[error("subject template `{template}` cannot be used: {reason}")]
pub struct TemplateError {
    /// The template given.
    pub template: String,
    /// Why not, and what to write instead.
    pub reason: &'static str,
}

impl Default for SubjectTemplate {
    /// `events.{aggregate}.{event_name}`.
    fn default() -> Self {
        SubjectTemplate {
            template: "events.{aggregate}.{event_name}".into(),
            prefix: "events".into(),
        }
    }
}

const PLACEHOLDERS: [&str; 3] = ["{aggregate}", "{event_name}", "{stream_id}"];

impl SubjectTemplate {
    /// Checks the template: it starts with at least one literal token (the
    /// stream's subjects are `<literal tokens>.>`) and names only known
    /// placeholders.
    pub fn new(template: &str) -> Result<Self, TemplateError> {
        let error = |reason| TemplateError {
            template: template.to_owned(),
            reason,
        };
        let mut rest = template.to_owned();
        for placeholder in PLACEHOLDERS {
            rest = rest.replace(placeholder, "");
        }
        if rest.contains(['{', '}']) {
            return Err(error(
                "the placeholders are `{aggregate}`, `{event_name}` and `{stream_id}`",
            ));
        }
        let literal = template.split('{').next().unwrap_or("");
        let prefix = match literal.rsplit_once('.') {
            Some((prefix, "")) if !prefix.is_empty() => prefix,
            _ => {
                return Err(error(
                    "start with a literal token and a dot, as in `events.{event_name}`",
                ));
            }
        };
        let bad = |token: &str| {
            token.is_empty() || token.contains(|c: char| c == '*' || c == '>' || c.is_whitespace())
        };
        if prefix.split('.').any(bad) || !template.contains('{') {
            return Err(error(
                "use non-empty literal tokens without `*`, `>` or spaces, and at least one placeholder",
            ));
        }
        Ok(SubjectTemplate {
            template: template.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    /// The subjects of every event: `<prefix>.>`, for the JetStream stream.
    pub fn wildcard(&self) -> String {
        format!("{}.>", self.prefix)
    }

    /// The subject of one event.
    pub fn subject(&self, header: &EventHeader) -> String {
        let stream_id = header.stream_id.as_str();
        self.template
            .replace("{aggregate}", &token(aggregate_of(stream_id)))
            .replace("{event_name}", &tokens(&header.event_name))
            .replace("{stream_id}", &token(stream_id))
    }
}

/// One token: no dots.
fn token(text: &str) -> String {
    tokens(text).replace('.', "_")
}

/// Tokens separated by dots: each non-empty and free of what subjects cannot hold.
fn tokens(text: &str) -> String {
    text.split('.')
        .map(|t| {
            let t: String = t
                .chars()
                .map(|c| {
                    if c == '*' || c == '>' || c.is_whitespace() || c.is_control() {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            if t.is_empty() { "_".to_owned() } else { t }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The aggregate of a stream id: up to its first `-`.
pub(crate) fn aggregate_of(stream_id: &str) -> &str {
    stream_id.split('-').next().unwrap_or(stream_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(stream_id: &str, event_name: &str) -> EventHeader {
        EventHeader {
            stream_id: stream_id.into(),
            stream_version: 1,
            position: 1,
            event_id: uuid::Uuid::nil(),
            event_name: event_name.into(),
            event_version: 1,
            recorded_at: chrono::Utc::now(),
            metadata: Default::default(),
        }
    }

    #[test]
    fn subjects_from_headers() {
        let template = SubjectTemplate::new("shop.{aggregate}.{event_name}").unwrap();
        assert_eq!(
            template.subject(&header("cart-alice", "cart.item_added")),
            "shop.cart.cart.item_added"
        );
        assert_eq!(
            template.subject(&header("odd*stream", "a..b >")),
            "shop.odd_stream.a._.b__"
        );
        let by_stream = SubjectTemplate::new("all.{stream_id}").unwrap();
        assert_eq!(by_stream.subject(&header("cart-a.b", "x")), "all.cart-a_b");
    }

    #[test]
    fn refuses_templates_that_cannot_make_subjects() {
        for bad in [
            "{event_name}",
            "shop{event_name}",
            "shop.{evt}",
            "shop.*.{event_name}",
            "shop.plain",
        ] {
            assert!(SubjectTemplate::new(bad).is_err(), "{bad}");
        }
    }
}
