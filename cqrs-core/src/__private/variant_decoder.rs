//! Deserializes an enum from a variant name and its content, handing serde the
//! variant directly instead of building a `{ "Variant": content }` map first.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;

/// Deserializes `E` from its variant's name and content as JSON text, without a
/// `serde_json::Value` in between.
pub(super) fn from_text<E: de::DeserializeOwned>(
    variant: &'static str,
    text: &str,
) -> Result<E, serde_json::Error> {
    let mut content = serde_json::Deserializer::from_str(text);
    let event = E::deserialize(VariantDecoder {
        variant,
        content: &mut content,
    })?;
    content.end()?;
    Ok(event)
}

/// Deserializes `E` from its variant's name and content (what an upcaster returned).
pub(super) fn from_content<E: de::DeserializeOwned>(
    variant: &'static str,
    content: Value,
) -> Result<E, serde_json::Error> {
    E::deserialize(VariantDecoder { variant, content })
}

struct VariantDecoder<D> {
    variant: &'static str,
    content: D,
}

impl<'de, D> de::Deserializer<'de> for VariantDecoder<D>
where
    D: de::Deserializer<'de, Error = serde_json::Error>,
{
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, D> de::EnumAccess<'de> for VariantDecoder<D>
where
    D: de::Deserializer<'de, Error = serde_json::Error>,
{
    type Error = serde_json::Error;
    type Variant = Content<D>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Content<D>), Self::Error> {
        let name: de::value::StrDeserializer<'_, serde_json::Error> =
            self.variant.into_deserializer();
        let variant = seed.deserialize(name)?;
        Ok((variant, Content(self.content)))
    }
}

/// The variant's content.
struct Content<D>(D);

impl<'de, D> de::VariantAccess<'de> for Content<D>
where
    D: de::Deserializer<'de, Error = serde_json::Error>,
{
    type Error = serde_json::Error;

    fn unit_variant(self) -> Result<(), Self::Error> {
        de::Deserialize::deserialize(self.0)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        seed.deserialize(self.0)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_struct("", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::{from_content, from_text};

    #[derive(Debug, PartialEq, Deserialize)]
    enum Shapes {
        Unit,
        Newtype(String),
        Tuple(u32, String),
        Struct {
            a: u32,
            #[serde(rename = "bee", default)]
            b: Option<u32>,
        },
    }

    #[test]
    fn each_shape_decodes_from_its_content() {
        let cases = [
            ("Unit", json!(null), Shapes::Unit),
            ("Newtype", json!("x"), Shapes::Newtype("x".into())),
            ("Tuple", json!([1, "y"]), Shapes::Tuple(1, "y".into())),
            (
                "Struct",
                json!({ "a": 1, "bee": 2 }),
                Shapes::Struct { a: 1, b: Some(2) },
            ),
            (
                "Struct",
                json!({ "a": 1 }),
                Shapes::Struct { a: 1, b: None },
            ),
        ];
        for (variant, content, expected) in cases {
            let text = content.to_string();
            assert_eq!(from_text::<Shapes>(variant, &text).unwrap(), expected);
            assert_eq!(from_content::<Shapes>(variant, content).unwrap(), expected);
        }
    }

    #[test]
    fn content_of_the_wrong_shape_is_an_error() {
        assert!(from_content::<Shapes>("Unit", json!({ "a": 1 })).is_err());
        assert!(from_content::<Shapes>("Struct", json!({ "bee": 2 })).is_err());
        assert!(from_content::<Shapes>("Tuple", json!([1])).is_err());
        assert!(from_content::<Shapes>("Nope", json!(null)).is_err());
        assert!(from_text::<Shapes>("Unit", "{}").is_err());
        assert!(from_text::<Shapes>("Newtype", r#""x" trailing"#).is_err());
        assert!(from_text::<Shapes>("Tuple", "[1]").is_err());
    }
}
