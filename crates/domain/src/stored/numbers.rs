//! Whether a stored number survives the API's JSON. DynamoDB keeps numbers of up to 38
//! digits; the API reads one as a 64-bit integer when it is one, else as a double (what JSON
//! clients hold). A number another tool stored with more precision than a double has would
//! be shown rounded, and a write of its item through the API (or `scripts/migrate`) would
//! store the rounded value: such a number makes its attribute unrepresentable instead, so
//! it is named, never changed.

/// Whether `text` (a DynamoDB number) reads back exactly as the number the API shows.
pub fn number_is_exact(text: &str) -> bool {
    if text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok() {
        return true;
    }
    match text.parse::<f64>() {
        Ok(double) if double.is_finite() => decimal(text) == decimal(&double.to_string()),
        _ => false,
    }
}

/// A decimal's value as (negative, significant digits, exponent of the last one): `-1.50e2`
/// → (true, "15", 1). Zero is (false, "", 0) whatever its sign or form.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut exponent = exponent - i64::try_from(fraction.len()).ok()?;
    let significant = digits.trim_start_matches('0');
    let trimmed = significant.trim_end_matches('0');
    exponent += i64::try_from(significant.len() - trimmed.len()).ok()?;
    if trimmed.is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((negative, trimmed.to_owned(), exponent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_a_double_holds_are_exact() {
        for exact in [
            "0",
            "-0",
            "42",
            "-9223372036854775808",
            "18446744073709551615",
            "12.5",
            "0.1",
            "0.30000000000000004",
            "1e20",
            "100000000000000000000",
            "1.50",
            "-2.5E-3",
            "3.141592653589793",
        ] {
            assert!(number_is_exact(exact), "{exact}");
        }
    }

    #[test]
    fn numbers_with_more_precision_are_not() {
        for inexact in [
            "12345678901234567890123",
            "0.1234567890123456789",
            "18446744073709551616",
            "-9223372036854775809",
            "3.14159265358979323846",
            "1e400",
        ] {
            assert!(!number_is_exact(inexact), "{inexact}");
        }
    }
}
