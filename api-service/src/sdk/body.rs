//! Request bodies as Branch SDKs send them, read leniently.
//!
//! A body is JSON, or `application/x-www-form-urlencoded` (the Web SDK posts forms); at
//! most [`MAX_BODY_BYTES`] (413 beyond). [`Fields`] reads the fields a handler knows with
//! the leniency the SDKs need (numbers sent as strings, booleans as `0`/`1`), ignores every
//! other field, and names the field when a value has the wrong type (400).
//!
//! Everything that may be stored is checked here for what Postgres would refuse later in
//! a batch, or store and fail to give back (a NUL character in text or JSON, a JSON number
//! past 1e300: [`link_core::jsonb`]), so one client cannot make a batch or a read fail.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use link_core::{FieldError, jsonb};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::startup::MAX_BODY_BYTES;

/// Longest string accepted in a known scalar field (URLs, tokens, names, models).
pub const MAX_FIELD_CHARS: usize = 2048;

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`].
async fn bytes(payload: web::Payload) -> Result<web::Bytes, ApiError> {
    match payload.to_bytes_limited(MAX_BODY_BYTES).await {
        Err(_) => Err(ApiError::PayloadTooLarge),
        Ok(Err(e)) => Err(ApiError::MalformedBody(format!(
            "could not read the body: {e}"
        ))),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// A body holding one object (JSON, or a form whose values are strings).
pub async fn object(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Map<String, Value>, ApiError> {
    let body = bytes(payload).await?;
    if is_form(req) {
        return Ok(url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::MalformedBody("expected a JSON object".to_owned())),
        Err(e) => Err(ApiError::MalformedBody(e.to_string())),
    }
}

/// A JSON body holding an array (bulk link creation).
pub async fn array(payload: web::Payload) -> Result<Vec<Value>, ApiError> {
    let body = bytes(payload).await?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(ApiError::MalformedBody("expected a JSON array".to_owned())),
        Err(e) => Err(ApiError::MalformedBody(e.to_string())),
    }
}

/// Typed, lenient access to the fields of a request object.
#[derive(Clone, Copy)]
pub struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// A string; numbers are accepted and written out. `None` when absent or `null`.
    pub fn str(&self, name: &'static str) -> Result<Option<Cow<'a, str>>, FieldError> {
        let text: Cow<'a, str> = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
            Some(Value::Number(n)) => Cow::Owned(n.to_string()),
            Some(_) => return Err(FieldError::new(name, "must be a string")),
        };
        if text.chars().count() > MAX_FIELD_CHARS {
            return Err(FieldError::new(
                name,
                format!("must be at most {MAX_FIELD_CHARS} characters"),
            ));
        }
        if text.contains('\0') {
            return Err(FieldError::new(name, "must not contain NUL characters"));
        }
        Ok(Some(text))
    }

    /// A non-empty, trimmed string (empty counts as absent).
    pub fn text(&self, name: &'static str) -> Result<Option<String>, FieldError> {
        Ok(self
            .str(name)?
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()))
    }

    /// A boolean: `true`/`false`, `1`/`0`, or those as strings.
    pub fn bool(&self, name: &'static str) -> Result<Option<bool>, FieldError> {
        let wrong = || FieldError::new(name, "must be a boolean");
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(wrong()),
            },
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(wrong()),
            },
            Some(_) => Err(wrong()),
        }
    }

    /// A number, or a string holding one.
    pub fn number(&self, name: &'static str) -> Result<Option<f64>, FieldError> {
        let wrong = || FieldError::new(name, "must be a number");
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(wrong),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(wrong),
            Some(_) => Err(wrong()),
        }
    }

    /// An object, or a string holding a JSON object (as Branch SDKs send `data`).
    pub fn object(
        &self,
        name: &'static str,
    ) -> Result<Option<Cow<'a, Map<String, Value>>>, FieldError> {
        let wrong = || FieldError::new(name, "must be a JSON object");
        let map = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(map)) => Cow::Borrowed(map),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(map)) => Cow::Owned(map),
                _ => return Err(wrong()),
            },
            Some(_) => return Err(wrong()),
        };
        jsonb::check_map(&map).map_err(|reason| FieldError::new(name, reason))?;
        Ok(Some(map))
    }

    /// An array, or a string holding a JSON array.
    pub fn array(&self, name: &'static str) -> Result<Option<Cow<'a, [Value]>>, FieldError> {
        let wrong = || FieldError::new(name, "must be a JSON array");
        let items = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(items)) => Cow::Borrowed(items.as_slice()),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(items)) => Cow::Owned(items),
                _ => return Err(wrong()),
            },
            Some(_) => return Err(wrong()),
        };
        items
            .iter()
            .try_for_each(jsonb::check)
            .map_err(|reason| FieldError::new(name, reason))?;
        Ok(Some(items))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(v: &Value) -> Fields<'_> {
        Fields(v.as_object().unwrap())
    }

    #[test]
    fn strings_accept_numbers_and_refuse_structures() {
        let v = json!({"a": "x", "b": 34, "c": [1], "d": null, "e": "  ", "f": "a\u{0}b"});
        let f = fields(&v);
        assert_eq!(f.str("a").unwrap().as_deref(), Some("x"));
        assert_eq!(f.str("b").unwrap().as_deref(), Some("34"));
        assert_eq!(f.str("c").unwrap_err().field, "c");
        assert_eq!(f.str("d").unwrap(), None);
        assert_eq!(f.str("missing").unwrap(), None);
        assert_eq!(f.text("e").unwrap(), None);
        assert_eq!(f.str("f").unwrap_err().field, "f");
    }

    #[test]
    fn booleans_and_numbers_are_lenient() {
        let v = json!({"t": true, "one": 1, "s": "false", "bad": "maybe", "n": "1080",
                       "x": 2.5, "nan": "NaN", "obj": {}});
        let f = fields(&v);
        assert_eq!(f.bool("t").unwrap(), Some(true));
        assert_eq!(f.bool("one").unwrap(), Some(true));
        assert_eq!(f.bool("s").unwrap(), Some(false));
        assert_eq!(f.bool("bad").unwrap_err().field, "bad");
        assert_eq!(f.number("n").unwrap(), Some(1080.0));
        assert_eq!(f.number("x").unwrap(), Some(2.5));
        assert_eq!(f.number("nan").unwrap_err().field, "nan");
        assert_eq!(f.number("obj").unwrap_err().field, "obj");
    }

    #[test]
    fn objects_may_arrive_as_json_strings() {
        let v = json!({"a": {"k": 1}, "b": "{\"k\":2}", "c": "nope", "d": [1],
                       "e": {"k": "\u{0}"}, "l": "[1,2]"});
        let f = fields(&v);
        assert_eq!(f.object("a").unwrap().unwrap()["k"], 1);
        assert_eq!(f.object("b").unwrap().unwrap()["k"], 2);
        assert_eq!(f.object("c").unwrap_err().field, "c");
        assert_eq!(f.object("d").unwrap_err().field, "d");
        assert_eq!(f.object("e").unwrap_err().field, "e");
        assert_eq!(f.array("l").unwrap().unwrap().len(), 2);
        assert_eq!(f.array("a").unwrap_err().field, "a");
    }
}
