//! Input text checks every domain crate shares: one-line and free text, trimmed, bounded in
//! characters and free of control characters, each refusal naming the field.

use crate::Invalid;
use crate::msg;

/// A one-line text: trimmed, 1–`max` characters, no control characters.
pub fn line(field: &str, text: &str, max: usize) -> Result<String, Invalid> {
    let t = optional_line(field, text, max)?;
    if t.is_empty() {
        return Err(Invalid::new(field, msg!("not-empty")));
    }
    Ok(t)
}

/// A one-line text that may be empty.
pub fn optional_line(field: &str, text: &str, max: usize) -> Result<String, Invalid> {
    let t = text.trim();
    too_long(field, t, max)?;
    if t.chars().any(char::is_control) {
        return Err(Invalid::new(field, msg!("no-control-characters")));
    }
    Ok(t.to_string())
}

/// Free text (several lines allowed): trimmed, 1–`max` characters.
pub fn text(field: &str, text: &str, max: usize) -> Result<String, Invalid> {
    let t = optional_text(field, text, max)?;
    if t.is_empty() {
        return Err(Invalid::new(field, msg!("not-empty")));
    }
    Ok(t)
}

/// Free text that may be empty; line ends normalised to `\n`.
pub fn optional_text(field: &str, text: &str, max: usize) -> Result<String, Invalid> {
    let t = text.trim();
    too_long(field, t, max)?;
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::new(field, msg!("no-control-characters")));
    }
    Ok(t.replace("\r\n", "\n"))
}

fn too_long(field: &str, t: &str, max: usize) -> Result<(), Invalid> {
    // Counting stops early so a megabyte of input costs no more than `max` characters.
    if t.chars().nth(max).is_some() {
        return Err(Invalid::new(field, msg!("too-long", max = max)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(line("name", "  公安局 ", 10).unwrap(), "公安局");
        assert_eq!(line("name", " ", 10).unwrap_err().field, "name");
        assert!(line("name", "甲乙丙", 2).is_err());
        assert!(line("name", "a\nb", 10).is_err(), "one line only");
        assert_eq!(optional_text("t", "a\r\nb", 10).unwrap(), "a\nb");
        assert!(optional_text("t", "a\u{7}b", 10).is_err());
        assert_eq!(optional_line("t", "", 10).unwrap(), "");
    }
}
