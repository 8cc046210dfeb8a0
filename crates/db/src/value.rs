//! Backend-neutral values and rows. Columns hold TEXT, INTEGER (64-bit; booleans as 0/1, times as
//! UTC milliseconds), REAL or BLOB on both backends, so one `Value` covers them all.

use crate::Error;
use std::sync::Arc;

/// One parameter or column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL (of text type when used as a parameter).
    Null,
    /// A NULL parameter for an INTEGER column (PostgreSQL types parameters strictly).
    NullInt,
    /// A NULL parameter for a REAL column.
    NullReal,
    /// A NULL parameter for a BLOB column.
    NullBytes,
    /// INTEGER / BIGINT (booleans are 0 or 1).
    Int(i64),
    /// REAL / DOUBLE PRECISION.
    Real(f64),
    /// TEXT (ids, JSON, names).
    Text(String),
    /// BLOB / BYTEA.
    Bytes(Vec<u8>),
}

/// Converts a Rust value into a query parameter.
pub trait ToValue {
    /// The NULL of this type, for `Option::None`.
    const NULL: Value = Value::Null;
    /// The parameter.
    fn to_value(&self) -> Value;
}

/// Converts a column value into a Rust value.
pub trait FromValue: Sized {
    /// `Err(reason)` when the column holds something else.
    fn from_value(v: Value) -> Result<Self, String>;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for i64 {
    const NULL: Value = Value::NullInt;
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}
impl ToValue for i32 {
    const NULL: Value = Value::NullInt;
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for u32 {
    const NULL: Value = Value::NullInt;
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for u64 {
    const NULL: Value = Value::NullInt;
    fn to_value(&self) -> Value {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl ToValue for bool {
    const NULL: Value = Value::NullInt;
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    const NULL: Value = Value::NullReal;
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for Vec<u8> {
    const NULL: Value = Value::NullBytes;
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
}
impl ToValue for [u8] {
    const NULL: Value = Value::NullBytes;
    fn to_value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    const NULL: Value = T::NULL;
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(T::NULL, ToValue::to_value)
    }
}
impl ToValue for tongban_kernel::Millis {
    const NULL: Value = Value::NullInt;
    fn to_value(&self) -> Value {
        Value::Int(self.0)
    }
}
impl ToValue for tongban_kernel::DeptPath {
    fn to_value(&self) -> Value {
        Value::Text(self.0.clone())
    }
}

impl FromValue for Value {
    fn from_value(v: Value) -> Result<Self, String> {
        Ok(v)
    }
}
impl FromValue for i64 {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Int(i) => Ok(i),
            other => Err(format!("expected integer, found {other:?}")),
        }
    }
}
impl FromValue for u32 {
    fn from_value(v: Value) -> Result<Self, String> {
        let i = i64::from_value(v)?;
        u32::try_from(i).map_err(|_| format!("{i} out of range"))
    }
}
impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, String> {
        Ok(i64::from_value(v)? != 0)
    }
}
impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Real(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            other => Err(format!("expected real, found {other:?}")),
        }
    }
}
impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Bytes(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Null | Value::NullInt | Value::NullReal | Value::NullBytes => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}
impl FromValue for tongban_kernel::Millis {
    fn from_value(v: Value) -> Result<Self, String> {
        i64::from_value(v).map(tongban_kernel::Millis)
    }
}
impl FromValue for tongban_kernel::DeptPath {
    fn from_value(v: Value) -> Result<Self, String> {
        String::from_value(v).map(tongban_kernel::DeptPath)
    }
}

/// One result row: column names shared by all rows of a result, and values.
#[derive(Debug, Clone)]
pub struct Row {
    pub(crate) columns: Arc<[String]>,
    pub(crate) values: Vec<Value>,
}

impl Row {
    /// The column named `name`, converted to `T`.
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, Error> {
        let i = self
            .columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| Error::Decode {
                column: name.into(),
                reason: "no such column".into(),
            })?;
        let v = self.values.get(i).cloned().unwrap_or(Value::Null);
        T::from_value(v).map_err(|reason| Error::Decode {
            column: name.into(),
            reason,
        })
    }

    /// The column at `index`, converted to `T`.
    pub fn get_at<T: FromValue>(&self, index: usize) -> Result<T, Error> {
        let v = self.values.get(index).cloned().unwrap_or(Value::Null);
        T::from_value(v).map_err(|reason| Error::Decode {
            column: format!("#{index}"),
            reason,
        })
    }

    /// Column names in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Values in column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_access_names_the_column_on_type_mismatch() {
        let row = Row {
            columns: Arc::from(vec!["a".to_string(), "b".to_string()]),
            values: vec![Value::Int(1), Value::Null],
        };
        assert_eq!(row.get::<i64>("a").unwrap(), 1);
        assert_eq!(row.get::<Option<String>>("b").unwrap(), None);
        match row.get::<String>("a") {
            Err(Error::Decode { column, .. }) => assert_eq!(column, "a"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(row.get::<i64>("zzz").is_err());
    }
}
