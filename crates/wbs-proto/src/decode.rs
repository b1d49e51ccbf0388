//! Response decoding: `{"status":…, "body":…}` in one pass, and each action's body through
//! wbs-model's tolerant policy, so that shape problems become values and a getmeas page
//! whose one group is malformed is kept, with that group reported.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use wbs_model::tolerant::{Key, TolerantInt};
use wbs_model::{DecodedPage, Status, Subscription, User};

use crate::error::{excerpt, ResponseError};

/// A body decoder: shape problems come back as `Ok(Err(_))` so that the rest of the
/// document, and its `status`, can still be read.
pub(crate) trait BodyDecode: Sized {
    fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, ResponseError>, D::Error>;

    /// The result when the response has no body.
    fn absent() -> Result<Self, ResponseError>;
}

/// For actions that answer with a status only: any body is ignored.
pub(crate) struct NoBody;

impl BodyDecode for NoBody {
    fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, ResponseError>, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Ok(NoBody))
    }

    fn absent() -> Result<Self, ResponseError> {
        Ok(NoBody)
    }
}

/// A small body decoded through `serde_json::Value`, which takes any shape.
pub(crate) struct BodyOf<T>(pub(crate) T);

impl<T: DeserializeOwned> BodyDecode for BodyOf<T> {
    fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, ResponseError>, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(serde_json::from_value(value)
            .map(BodyOf)
            .map_err(|e| ResponseError::InvalidField {
                field: "body",
                detail: e.to_string(),
            }))
    }

    fn absent() -> Result<Self, ResponseError> {
        Err(ResponseError::MissingField("body"))
    }
}

/// user/getbyuserid's body.
#[derive(Deserialize)]
pub(crate) struct Users {
    pub(crate) users: Vec<User>,
}

/// notify/list's body.
#[derive(Deserialize)]
pub(crate) struct Profiles {
    pub(crate) profiles: Vec<Subscription>,
}

/// Decodes a response to an action whose body `B` decodes.
pub(crate) fn response<B: BodyDecode>(
    status: http::StatusCode,
    body: &[u8],
) -> Result<B, ResponseError> {
    if !status.is_success() {
        return Err(ResponseError::Http {
            status: status.as_u16(),
            excerpt: excerpt(body, false),
        });
    }
    let envelope = match parse_envelope::<B>(body) {
        Ok(e) => e,
        Err(e) if e.classify() == serde_json::error::Category::Eof => {
            return Err(ResponseError::Truncated {
                excerpt: excerpt(body, true),
            })
        }
        // Trailing commas (the reference's own examples) and broken text: repair those,
        // nothing else.
        Err(e) => match crate::repair::repair(body).map(|b| parse_envelope::<B>(&b)) {
            Some(Ok(envelope)) => envelope,
            _ if e.classify() == serde_json::error::Category::Data => {
                return Err(ResponseError::InvalidField {
                    field: "response",
                    detail: e.to_string(),
                })
            }
            _ => {
                return Err(ResponseError::NotJson {
                    excerpt: excerpt(body, false),
                })
            }
        },
    };
    match envelope.status {
        None => Err(ResponseError::MissingField("status")),
        Some(Err(detail)) => Err(ResponseError::InvalidField {
            field: "status",
            detail: detail.to_owned(),
        }),
        Some(Ok(0)) => match envelope.body {
            Some(result) => result,
            None => B::absent(),
        },
        Some(Ok(code)) => Err(ResponseError::Api(Status::from_code(code))),
    }
}

/// Decodes a getmeas response: the fast path for the usual shape, the general decoder for
/// everything else (and for every error).
pub(crate) fn getmeas(status: http::StatusCode, body: &[u8]) -> Result<DecodedPage, ResponseError> {
    if status.is_success() {
        if let Some(page) = crate::fast::getmeas(body) {
            return Ok(page);
        }
    }
    getmeas_general(status, body)
}

/// The general getmeas decoder alone.
pub(crate) fn getmeas_general(
    status: http::StatusCode,
    body: &[u8],
) -> Result<DecodedPage, ResponseError> {
    response::<DecodedPage>(status, body)
}

struct Envelope<B> {
    status: Option<Result<i64, &'static str>>,
    body: Option<Result<B, ResponseError>>,
}

fn parse_envelope<B: BodyDecode>(body: &[u8]) -> Result<Envelope<B>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let envelope = de.deserialize_any(EnvelopeVisitor(PhantomData))?;
    de.end()?;
    Ok(envelope)
}

struct EnvelopeVisitor<B>(PhantomData<B>);

impl<'de, B: BodyDecode> Visitor<'de> for EnvelopeVisitor<B> {
    type Value = Envelope<B>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with a status")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope {
            status: None,
            body: None,
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "status" => {
                    envelope.status = Some(
                        map.next_value::<TolerantInt>()?
                            .0
                            .and_then(|v| v.ok_or("null")),
                    )
                }
                "body" => envelope.body = Some(map.next_value_seed(BodySeed::<B>(PhantomData))?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

struct BodySeed<B>(PhantomData<B>);

impl<'de, B: BodyDecode> DeserializeSeed<'de> for BodySeed<B> {
    type Value = Result<B, ResponseError>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        B::decode_body(d)
    }
}

impl BodyDecode for DecodedPage {
    fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, ResponseError>, D::Error> {
        DecodedPage::decode_body(d).map(|r| r.map_err(ResponseError::from))
    }

    fn absent() -> Result<Self, ResponseError> {
        Err(ResponseError::MissingField("body"))
    }
}
