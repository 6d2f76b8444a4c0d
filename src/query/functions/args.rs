//! Argument plumbing shared by the function wrappers: type coercion rules, constant
//! arguments read from their (broadcast) arrays, float columns in and out.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Float64Type, Int64Type};

use super::error::FunctionError;

/// What one argument position accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// Any numeric column, computed on as `Float64`.
    Float,
    /// An integer (window length), as `Int64`.
    Int,
    /// Text, as `Utf8`.
    Text,
}

impl ArgKind {
    fn allowed(self) -> &'static str {
        match self {
            ArgKind::Float => "a number",
            ArgKind::Int => "an integer",
            ArgKind::Text => "text",
        }
    }

    /// The type an argument of type `t` is cast to, if it is acceptable.
    fn coerce(self, t: &DataType) -> Option<DataType> {
        match self {
            ArgKind::Float if t.is_numeric() || t.is_null() => Some(DataType::Float64),
            ArgKind::Int if t.is_integer() || t.is_null() => Some(DataType::Int64),
            ArgKind::Text if matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null) => {
                Some(DataType::Utf8)
            }
            _ => None,
        }
    }
}

/// Coerce `types` against the named argument kinds; `optional` trailing arguments may be left out.
pub fn coerce(
    function: &'static str,
    args: &[(&'static str, ArgKind)],
    optional: usize,
    types: &[DataType],
) -> Result<Vec<DataType>, FunctionError> {
    let required = args.len() - optional;
    if types.len() < required || types.len() > args.len() {
        return Err(FunctionError::Arity { function, expected: arity_text(required, args.len()), got: types.len() });
    }
    types
        .iter()
        .zip(args)
        .map(|(t, (arg, kind))| {
            kind.coerce(t)
                .ok_or(FunctionError::ArgType { function, arg, allowed: kind.allowed(), got: t.to_string() })
        })
        .collect()
}

fn arity_text(required: usize, all: usize) -> &'static str {
    match (required, all) {
        (2, 2) => "2",
        (3, 3) => "3",
        (4, 4) => "4",
        (7, 7) => "7",
        (8, 9) => "8 or 9",
        _ => "a different number of",
    }
}

/// The one value of a constant argument (a literal, or a column constant within the
/// partition); `None` when there are no rows or every value is null.
pub fn constant_text(function: &'static str, arg: &'static str, a: &ArrayRef) -> Result<Option<String>, FunctionError> {
    let a = a.as_string::<i32>();
    let mut first: Option<&str> = None;
    for v in a.iter().flatten() {
        match first {
            None => first = Some(v),
            Some(f) if f != v => {
                return Err(FunctionError::NotConstant { function, arg, first: f.to_string(), other: v.to_string() })
            }
            Some(_) => {}
        }
    }
    if a.null_count() > 0 && first.is_some() {
        return Err(FunctionError::NotConstant { function, arg, first: first.unwrap_or_default().to_string(), other: "NULL".into() });
    }
    Ok(first.map(str::to_string))
}

/// The one value of a constant integer argument.
pub fn constant_int(function: &'static str, arg: &'static str, a: &ArrayRef) -> Result<Option<i64>, FunctionError> {
    let a = a.as_primitive::<Int64Type>();
    constant(function, arg, a.null_count(), a.iter().flatten(), |x, y| x == y)
}

/// The one value of a constant float argument (compared bit for bit, so NaN is one value).
pub fn constant_float(function: &'static str, arg: &'static str, a: &ArrayRef) -> Result<Option<f64>, FunctionError> {
    let a = a.as_primitive::<Float64Type>();
    constant(function, arg, a.null_count(), a.iter().flatten(), |x: &f64, y: &f64| x.to_bits() == y.to_bits())
}

fn constant<T: Copy + ToString>(
    function: &'static str,
    arg: &'static str,
    nulls: usize,
    mut values: impl Iterator<Item = T>,
    same: impl Fn(&T, &T) -> bool,
) -> Result<Option<T>, FunctionError> {
    let Some(first) = values.next() else { return Ok(None) };
    if let Some(other) = values.find(|v| !same(&first, v)) {
        return Err(FunctionError::NotConstant { function, arg, first: first.to_string(), other: other.to_string() });
    }
    if nulls > 0 {
        return Err(FunctionError::NotConstant { function, arg, first: first.to_string(), other: "NULL".into() });
    }
    Ok(Some(first))
}

/// A `Float64` column as plain values, nulls read as NaN (which the indicators skip).
pub fn floats(a: &ArrayRef) -> Vec<f64> {
    let a = a.as_primitive::<Float64Type>();
    if a.null_count() == 0 {
        a.values().to_vec()
    } else {
        a.iter().map(|v| v.unwrap_or(f64::NAN)).collect()
    }
}

/// An indicator result as a column: NaN (warm-up, undefined) becomes NULL.
pub fn nan_to_null(values: Vec<f64>) -> ArrayRef {
    Arc::new(values.into_iter().map(|v| (!v.is_nan()).then_some(v)).collect::<Float64Array>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    #[test]
    fn coerces_numbers_and_text() {
        let args = [("x", ArgKind::Float), ("n", ArgKind::Int), ("s", ArgKind::Text)];
        let got = coerce("f", &args, 0, &[DataType::Int32, DataType::UInt8, DataType::Utf8View]).unwrap();
        assert_eq!(got, [DataType::Float64, DataType::Int64, DataType::Utf8]);
        let err = coerce("f", &args, 0, &[DataType::Utf8, DataType::Int64, DataType::Utf8]).unwrap_err();
        assert_eq!(err.to_string(), "argument `x` of `f` must be a number, got type `Utf8`");
        let err = coerce("f", &args, 0, &[DataType::Float64, DataType::Float64, DataType::Utf8]).unwrap_err();
        assert!(err.to_string().contains("`n` of `f` must be an integer"), "{err}");
        let err = coerce("f", &args, 0, &[DataType::Float64]).unwrap_err();
        assert_eq!(err.to_string(), "`f` takes 3 arguments, got 1");
    }

    #[test]
    fn constants_must_not_vary() {
        let a: ArrayRef = Arc::new(StringArray::from(vec!["x", "x"]));
        assert_eq!(constant_text("f", "s", &a).unwrap().as_deref(), Some("x"));
        let a: ArrayRef = Arc::new(StringArray::from(vec!["x", "y"]));
        let err = constant_text("f", "s", &a).unwrap_err().to_string();
        assert!(err.contains("`x` and `y`") && err.contains("PARTITION BY"), "{err}");
        let a: ArrayRef = Arc::new(Int64Array::from(vec![Some(3), None]));
        assert!(constant_int("f", "n", &a).is_err());
        let a: ArrayRef = Arc::new(Int64Array::from(Vec::<i64>::new()));
        assert_eq!(constant_int("f", "n", &a).unwrap(), None);
        let a: ArrayRef = Arc::new(Float64Array::from(vec![f64::NAN, f64::NAN]));
        assert!(constant_float("f", "k", &a).unwrap().unwrap().is_nan());
    }

    #[test]
    fn nan_becomes_null() {
        let a = nan_to_null(vec![f64::NAN, 1.5]);
        assert!(a.is_null(0));
        assert_eq!(a.as_primitive::<Float64Type>().value(1), 1.5);
    }
}
