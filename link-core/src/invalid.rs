//! The one validation error of the domain.
//!
//! Parsers return [`Invalid`] (what is wrong with a value); the layer that knows where the
//! value came from attaches the field name with [`Invalid::at`], giving a [`FieldError`] that
//! the API turns into a problem document naming the offending field.

use std::borrow::Cow;

/// Why a value was rejected, without knowing which field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(Cow<'static, str>);

impl Invalid {
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Self(reason.into())
    }

    pub fn reason(&self) -> &str {
        &self.0
    }

    /// Names the field the rejected value came from.
    pub fn at(self, field: impl Into<Cow<'static, str>>) -> FieldError {
        FieldError {
            field: field.into(),
            reason: self.0,
        }
    }
}

/// A rejected value together with the field (or CLI flag) it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct FieldError {
    pub field: Cow<'static, str>,
    pub reason: Cow<'static, str>,
}

impl FieldError {
    pub fn new(field: impl Into<Cow<'static, str>>, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
