//! Serializes an enum value as its variant's content alone, straight into a
//! `serde_json::Value`: what serde would put under the variant's name, without
//! building the `{ "Variant": ... }` wrapper first.

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Value;

type Json = serde_json::value::Serializer;
type JsonTuple = <Json as ser::Serializer>::SerializeTuple;
type JsonStruct = <Json as ser::Serializer>::SerializeStruct;

/// The message of the error for a value that is not an externally tagged variant.
pub(super) const NOT_A_VARIANT: &str = "cqrs: not an externally tagged enum variant";

fn not_a_variant() -> serde_json::Error {
    ser::Error::custom(NOT_A_VARIANT)
}

/// Serializes `value` (an enum) as its variant's content.
pub(super) fn to_content<T: Serialize + ?Sized>(value: &T) -> Result<Value, serde_json::Error> {
    value.serialize(VariantContent)
}

struct VariantContent;

/// A tuple variant's fields, as an array.
pub(super) struct TupleContent(JsonTuple);

/// A struct variant's fields, as an object.
pub(super) struct StructContent(JsonStruct);

impl ser::SerializeTupleVariant for TupleContent {
    type Ok = Value;
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        ser::SerializeTuple::serialize_element(&mut self.0, value)
    }

    fn end(self) -> Result<Value, Self::Error> {
        ser::SerializeTuple::end(self.0)
    }
}

impl ser::SerializeStructVariant for StructContent {
    type Ok = Value;
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        ser::SerializeStruct::serialize_field(&mut self.0, key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), Self::Error> {
        ser::SerializeStruct::skip_field(&mut self.0, key)
    }

    fn end(self) -> Result<Value, Self::Error> {
        ser::SerializeStruct::end(self.0)
    }
}

macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(
            fn $method(self, $(_: $arg),*) -> Result<Value, serde_json::Error> {
                Err(not_a_variant())
            }
        )*
    };
}

impl ser::Serializer for VariantContent {
    type Ok = Value;
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<Value, serde_json::Error>;
    type SerializeTuple = Impossible<Value, serde_json::Error>;
    type SerializeTupleStruct = Impossible<Value, serde_json::Error>;
    type SerializeTupleVariant = TupleContent;
    type SerializeMap = Impossible<Value, serde_json::Error>;
    type SerializeStruct = Impossible<Value, serde_json::Error>;
    type SerializeStructVariant = StructContent;

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Value, serde_json::Error> {
        Ok(Value::Null)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<Value, serde_json::Error> {
        value.serialize(Json {})
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<TupleContent, serde_json::Error> {
        ser::Serializer::serialize_tuple(Json {}, len).map(TupleContent)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<StructContent, serde_json::Error> {
        ser::Serializer::serialize_struct(Json {}, name, len).map(StructContent)
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

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Value, serde_json::Error> {
        Err(not_a_variant())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Value, serde_json::Error> {
        Err(not_a_variant())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, serde_json::Error> {
        Err(not_a_variant())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, serde_json::Error> {
        Err(not_a_variant())
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, serde_json::Error> {
        Err(not_a_variant())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, serde_json::Error> {
        Err(not_a_variant())
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, serde_json::Error> {
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
            let content = encode_variant(&value, "e").unwrap();
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
