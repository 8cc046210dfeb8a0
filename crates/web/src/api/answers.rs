//! The shapes of the API's successful answers, as OpenAPI schemas. The codes an answer may
//! carry (kinds, states, roles) are read from the domain's own lists, so a new one is declared
//! as soon as it exists; the suite's schemathesis run checks every answer it gets against
//! these shapes, so a field renamed or made optional in the code fails CI until it is here too.

use serde_json::{Value, json};
use tongban_interact::{Channel, ContactPreference, ItemKind, ItemStatus, ReplyStatus, Satisfaction};

fn string() -> Value {
    json!({ "type": "string" })
}

fn nullable(mut schema: Value) -> Value {
    schema["nullable"] = json!(true);
    schema
}

/// A schema defined below; `nullable` wraps it so that `null` is allowed too (OpenAPI 3.0
/// ignores siblings of a bare `$ref`).
pub(super) fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn maybe(name: &str) -> Value {
    json!({ "allOf": [r(name)], "nullable": true })
}

/// Milliseconds since 1970-01-01 UTC.
fn millis() -> Value {
    json!({ "type": "integer", "format": "int64", "description": "milliseconds since 1970-01-01 UTC" })
}

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

fn count() -> Value {
    json!({ "type": "integer", "minimum": 0 })
}

fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Value {
    json!({ "type": "string", "enum": all.iter().map(|v| code(*v)).collect::<Vec<_>>() })
}

/// An object whose every property is always sent.
fn object(properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": properties })
}

/// A page of `item`s.
fn listing(item: &str) -> Value {
    object(json!({
        "items": { "type": "array", "items": r(item) },
        "total": count(), "limit": count(), "offset": count(),
    }))
}

/// The answer schemas, by name.
pub(super) fn schemas() -> Value {
    let roles: Vec<&str> = tongban_kernel::Role::ALL.iter().map(|r| r.code()).collect();
    let department = object(json!({
        "id": { "type": "string", "format": "uuid" }, "code": string(), "name_zh": string(),
        "name_en": string(), "parent_id": nullable(json!({ "type": "string", "format": "uuid" })),
        "path": string(), "kind": { "type": "string", "enum": ["city", "department", "office"] },
        "created": millis(),
    }));
    let account = object(json!({
        "id": { "type": "string", "format": "uuid" }, "username": string(),
        "kind": { "type": "string", "enum": ["citizen", "business", "staff"] },
        "display_name": string(), "department": maybe("Department"),
        "grants": { "type": "array", "items": object(json!({ "role": { "type": "string", "enum": roles }, "scope": string() })) },
        "status": { "type": "string", "enum": ["active", "locked", "disabled"] },
        "locked_until": nullable(millis()), "mfa_enabled": { "type": "boolean" }, "is_demo": { "type": "boolean" },
        "real_name_masked": nullable(string()), "id_number_masked": nullable(string()),
        "credit_code_masked": nullable(string()), "company_name": nullable(string()),
        "contact_name_masked": nullable(string()), "phone_masked": nullable(string()),
        "created": millis(), "last_login": nullable(millis()),
    }));
    let api_client = object(json!({
        "kind": { "type": "string", "enum": ["api_client"] }, "id": string(), "name": string(),
        "department": nullable(string()),
    }));
    let clock = object(json!({
        "started": date(), "statutory_days": count(), "promised_days": nullable(count()),
        "pauses": { "type": "array", "items": object(json!({
            "reason": string(), "from": date(), "to": nullable(date()) })) },
        "finished": nullable(date()),
    }));
    let reading = object(json!({
        "state": { "type": "string", "enum": ["on_time", "due_soon", "overdue", "paused", "finished"] },
        "used": count(), "due": date(), "promised_due": nullable(date()),
        "remaining": { "type": "integer" }, "finished_late": { "type": "boolean" },
        "provisional": { "type": "boolean" },
    }));
    let item = object(json!({
        "id": string(), "number": string(), "kind": codes(ItemKind::ALL, ItemKind::code),
        "category": string(), "category_name": string(), "title": string(), "text": string(),
        "public_title": string(), "public_text": string(),
        "location": nullable(object(json!({
            "address": string(), "district": string(),
            "point": nullable(object(json!({ "latitude": { "type": "number" }, "longitude": { "type": "number" } }))),
        }))),
        "public": { "type": "boolean" },
        "contact": object(json!({
            "preference": codes(ContactPreference::ALL, ContactPreference::code),
            "name": string(), "phone": string(), "email": string(),
        })),
        "submitter": {
            "type": "object", "required": ["kind"],
            "properties": { "kind": { "type": "string", "enum": ["citizen", "anonymous", "channel"] }, "id": string() },
        },
        "channel": codes(Channel::ALL, Channel::code),
        "department": nullable(object(json!({ "id": string(), "path": string(), "name_zh": string() }))),
        "status": codes(ItemStatus::ALL, ItemStatus::code),
        "round": count(), "clock": clock, "warn_on": nullable(date()), "due_on": nullable(date()),
        "transfers": count(), "merged_into": nullable(string()),
        "rating": nullable(object(json!({
            "satisfaction": codes(Satisfaction::ALL, Satisfaction::code), "comment": string(), "at": millis(),
        }))),
        "replied": nullable(millis()), "published": nullable(millis()),
        "created": millis(), "updated": millis(), "version": count(),
    }));
    let reply = object(json!({
        "id": string(), "item_id": string(), "round": count(), "author_id": string(),
        "author_name": string(), "department": string(), "department_name": string(),
        "text": string(), "public_text": string(),
        "flags": { "type": "array", "items": object(json!({ "rule": string(), "reason": string(), "excerpt": string() })) },
        "status": codes(ReplyStatus::ALL, ReplyStatus::code), "publish": { "type": "boolean" },
        "reviewer": nullable(string()), "review_note": string(), "created": millis(),
        "decided": nullable(millis()),
    }));
    let case = object(json!({
        "id": { "type": "string", "format": "uuid" }, "number": string(), "item": string(),
        "item_code": string(),
        "state": codes(tongban_hall::CaseStatus::ALL, tongban_hall::CaseStatus::code),
        "state_name": string(), "department": string(),
        "submitted": { "type": "string", "format": "date-time" },
        "due_date": nullable(date()), "due_provisional": { "type": "boolean" },
    }));
    let rate = || nullable(json!({ "type": "number", "minimum": 0 }));
    let stats = object(json!({
        "department": string(), "department_name": string(), "received": count(),
        "transferred_out": count(), "returned": count(), "replied": count(),
        "replied_on_time": count(), "reply_days_total": count(), "satisfied": count(),
        "basic": count(), "unsatisfied": count(), "escalated": count(), "rectifications": count(),
        "on_time_rate": rate(), "average_reply_days": rate(), "satisfaction_rate": rate(),
    }));
    json!({
        "LoginReply": object(json!({
            "token": string(), "token_type": { "type": "string", "enum": ["Bearer"] },
            "mfa": { "type": "string", "enum": ["passed", "pending", "setup_required"],
                     "description": "passed: ready; pending: send a code to /api/v1/auth/mfa; setup_required: set up two-step verification in the portal" },
            "expires_at": { "type": "string", "format": "date-time" },
        })),
        "AccessToken": object(json!({
            "token": string(), "token_type": { "type": "string", "enum": ["Bearer"] },
            "expires_in": count(), "scopes": { "type": "array", "items": string() },
        })),
        "Department": department,
        "DepartmentList": object(json!({ "items": { "type": "array", "items": r("Department") } })),
        "AccountView": account,
        "Me": { "oneOf": [r("AccountView"), api_client] },
        "UserList": listing("AccountView"),
        "MyCases": object(json!({ "cases": { "type": "array", "items": case }, "limit": count(), "offset": count() })),
        "InteractItem": item,
        "ItemView": object(json!({
            "item": r("InteractItem"), "deadline": nullable(reading), "due_provisional": { "type": "boolean" },
        })),
        "ItemListing": listing("ItemView"),
        "Reply": reply,
        "ItemDetail": object(json!({
            "item": r("ItemView"),
            "history": { "type": "array", "items": object(json!({
                "at": millis(), "action": string(), "actor_name": string(),
                "department": nullable(string()), "note": string(), "public": { "type": "boolean" } })) },
            "replies": { "type": "array", "items": r("Reply") },
            "attachments": { "type": "array", "items": object(json!({
                "id": string(), "item_id": string(), "file_name": string(), "media_type": string(),
                "size": count(), "sm3": string(), "metadata_removed": count(), "created": millis() })) },
        })),
        "BoardEntry": object(json!({
            "id": string(), "number": string(), "kind": codes(ItemKind::ALL, ItemKind::code),
            "category": string(), "category_name": string(), "title": string(), "text": string(),
            "district": string(), "department_name": string(), "submitted": millis(),
            "replied": nullable(millis()), "reply": string(),
            "satisfaction": nullable(codes(Satisfaction::ALL, Satisfaction::code)),
        })),
        "BoardListing": listing("BoardEntry"),
        "DeptStatsList": object(json!({ "items": { "type": "array", "items": stats } })),
        "Loaded": object(json!({
            "resource": string(), "version": count(), "accepted": count(), "rejected": count(),
            "quality": { "type": "number" }, "notes": { "type": "array", "items": string() },
        })),
    })
}
