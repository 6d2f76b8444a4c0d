//! Parameter values, their schema (kind, range, grid values) and Python-compatible text.

use std::fmt;

/// One parameter value. The grid distinguishes `3` from `3.0`, and so does the canonical
/// parameter text, so the integer/float distinction is kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
}

impl ParamValue {
    pub fn as_f64(self) -> f64 {
        match self {
            ParamValue::Int(v) => v as f64,
            ParamValue::Float(v) => v,
        }
    }

    /// The value as a JSON number.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            ParamValue::Int(v) => serde_json::Value::from(v),
            ParamValue::Float(v) => serde_json::Value::from(v),
        }
    }
}

/// Python's `repr` / `json.dumps` text: `3`, `0.5`, `1.0`, `1e-05`.
impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Float(v) => f.write_str(&py_float_repr(v)),
        }
    }
}

/// Whether a parameter takes integers or floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Int,
    Float,
}

impl ParamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamKind::Int => "int",
            ParamKind::Float => "float",
        }
    }
}

/// Schema of one parameter: name, kind, inclusive range and the values of the `quantmuse` grid.
#[derive(Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub min: f64,
    pub max: f64,
    /// Grid values, ascending (integers stored exactly as `f64`).
    pub grid: &'static [f64],
}

impl ParamSpec {
    pub const fn int(name: &'static str, min: f64, max: f64, grid: &'static [f64]) -> ParamSpec {
        ParamSpec { name, kind: ParamKind::Int, min, max, grid }
    }

    pub const fn float(name: &'static str, min: f64, max: f64, grid: &'static [f64]) -> ParamSpec {
        ParamSpec { name, kind: ParamKind::Float, min, max, grid }
    }

    /// A grid value as a typed parameter value.
    pub fn value(&self, v: f64) -> ParamValue {
        match self.kind {
            ParamKind::Int => ParamValue::Int(v as i64),
            ParamKind::Float => ParamValue::Float(v),
        }
    }

    /// The range as text, e.g. `1..=10000` or `0.0..=100.0`.
    pub fn range_text(&self) -> String {
        format!("{}..={}", self.value(self.min), self.value(self.max))
    }
}

/// `lesser < greater` must hold (the reference's grid filters, e.g. `fast < slow`).
#[derive(Debug)]
pub struct Constraint {
    pub lesser: &'static str,
    pub greater: &'static str,
}

impl Constraint {
    pub const fn less(lesser: &'static str, greater: &'static str) -> Constraint {
        Constraint { lesser, greater }
    }
}

/// Python's shortest round-trip `repr` of a float: fixed notation for exponents in
/// `-5 < e < 16` (always with a fractional part), scientific otherwise (`1e-05`, `1e+16`).
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d[.ddd]e<exp>`.
    let sci = format!("{:e}", x);
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` output has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if exp < -4 || exp >= 16 {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let body = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_text_matches_python_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.3, "0.3"),
            (0.005, "0.005"),
            (0.0001, "0.0001"),
            (1e-05, "1e-05"),
            (1.5e-07, "1.5e-07"),
            (123456.789, "123456.789"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (2.5e22, "2.5e+22"),
            (-3.0, "-3.0"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(x), want, "{x:e}");
        }
    }

    #[test]
    fn values_keep_their_kind() {
        assert_eq!(ParamValue::Int(3).to_string(), "3");
        assert_eq!(ParamValue::Float(3.0).to_string(), "3.0");
        let p = ParamSpec::int("period", 1.0, 10000.0, &[3.0]);
        assert_eq!(p.value(3.0), ParamValue::Int(3));
        assert_eq!(p.range_text(), "1..=10000");
    }
}
