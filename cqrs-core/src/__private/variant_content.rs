//! Serializes an enum value as its variant's content alone, straight into JSON text:
//! what serde would put under the variant's name, without writing the
//! `{ "Variant": ... }` wrapper or building a `serde_json::Value` first.

use serde::Serialize;
use serde::ser::{self, Impossible};

/// The message of the error for a value that is not an externally tagged variant.
pub(super) const NOT_A_VARIANT: &str = "cqrs: not an externally tagged enum variant";

fn not_a_variant<E: ser::Error>() -> E {
    E::custom(NOT_A_VARIANT)
}

/// Serializes `value` (an enum) as its variant's content, as JSON text.
pub(super) fn to_content<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(128);
    value.serialize(VariantContent(&mut serde_json::Serializer::new(&mut out)))?;
    Ok(out)
}

/// Hands a variant's content to `S`, and refuses anything that is not a variant.
struct VariantContent<S>(S);

/// A tuple variant's fields, as a tuple of `S`.
struct TupleContent<T>(T);

/// A struct variant's fields, as a struct of `S`.
struct StructContent<T>(T);

impl<T: ser::SerializeTuple> ser::SerializeTupleVariant for TupleContent<T> {
    type Ok = T::Ok;
    type Error = T::Error;

    fn serialize_field<F: Serialize + ?Sized>(&mut self, value: &F) -> Result<(), Self::Error> {
        self.0.serialize_element(value)
    }

    fn end(self) -> Result<T::Ok, Self::Error> {
        self.0.end()
    }
}

impl<T: ser::SerializeStruct> ser::SerializeStructVariant for StructContent<T> {
    type Ok = T::Ok;
    type Error = T::Error;

    fn serialize_field<F: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &F,
    ) -> Result<(), Self::Error> {
        self.0.serialize_field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), Self::Error> {
        self.0.skip_field(key)
    }

    fn end(self) -> Result<T::Ok, Self::Error> {
        self.0.end()
    }
}

macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(
            fn $method(self, $(_: $arg),*) -> Result<S::Ok, S::Error> {
                Err(not_a_variant())
            }
        )*
    };
}

impl<S: ser::Serializer> ser::Serializer for VariantContent<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = TupleContent<S::SerializeTuple>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = StructContent<S::SerializeStruct>;

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(self.0)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0.serialize_tuple(len).map(TupleContent)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0.serialize_struct(name, len).map(StructContent)
    }

    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_a_variant())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_variant())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Err(not_a_variant())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, S::Error> {
        Err(not_a_variant())
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Err(not_a_variant())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Err(not_a_variant())
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Err(not_a_variant())
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::json;

    use super::super::encode_variant;
    use crate::event::EncodeError;

    #[derive(Serialize)]
    enum Shapes {
        Unit,
        Newtype(String),
        Tuple(u32, String),
        Struct {
            a: u32,
            #[serde(rename = "bee", skip_serializing_if = "Option::is_none")]
            b: Option<u32>,
        },
    }

    #[derive(Serialize)]
    #[serde(tag = "type")]
    enum Internally {
        Only { a: u32 },
    }

    #[test]
    fn each_shape_keeps_only_what_serde_puts_under_the_variant_name() {
        let cases = [
            (Shapes::Unit, json!(null)),
            (Shapes::Newtype("x".into()), json!("x")),
            (Shapes::Tuple(1, "y".into()), json!([1, "y"])),
            (
                Shapes::Struct { a: 1, b: Some(2) },
                json!({ "a": 1, "bee": 2 }),
            ),
            (Shapes::Struct { a: 1, b: None }, json!({ "a": 1 })),
        ];
        for (value, expected) in cases {
            let tagged = serde_json::to_value(&value).unwrap();
            let content = encode_variant(&value, "e").unwrap().to_value().unwrap();
            assert_eq!(content, expected);
            match tagged {
                serde_json::Value::Object(map) => assert_eq!(map.values().next(), Some(&content)),
                serde_json::Value::String(_) => assert_eq!(content, json!(null)),
                other => panic!("unexpected {other}"),
            }
        }
    }

    #[test]
    fn a_value_that_is_not_a_tagged_variant_is_refused() {
        let refused = encode_variant(&Internally::Only { a: 1 }, "only").unwrap_err();
        assert!(matches!(refused, EncodeError::NotTagged { event: "only" }));
        assert!(matches!(
            encode_variant(&5, "n"),
            Err(EncodeError::NotTagged { .. })
        ));
    }
}
