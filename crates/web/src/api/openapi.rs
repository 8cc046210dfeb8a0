//! The OpenAPI 3 description of every JSON endpoint, served at `/api/openapi.json`.
//! A test walks every path in it against a live server, so it cannot drift from the routes.

use axum::Json;
use serde_json::{Value, json};

fn problem_ref() -> Value {
    json!({ "description": "Problem (RFC 9457)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

/// The role codes a role parameter takes: every role, or those given to staff.
fn role_codes(staff_only: bool) -> Vec<&'static str> {
    tongban_kernel::Role::ALL
        .iter()
        .filter(|r| !staff_only || r.is_staff())
        .map(|r| r.code())
        .collect()
}

/// Free text as the services take it (`kernel::input::text`): something besides white space,
/// and no control character but tab and line breaks.
const TEXT: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";
/// The same, or empty (`optional_text`).
const TEXT_OR_EMPTY: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";
/// One line (`kernel::input::line`): something besides white space, no control character.
const LINE: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$";

fn op(summary: &str, secured: bool, body: Option<&str>, ok: (&str, &str)) -> Value {
    let mut o = json!({
        "summary": summary,
        "responses": {
            ok.0: { "description": ok.1 },
            "400": problem_ref(),
            "401": problem_ref(),
            "403": problem_ref(),
            // An unknown id, code or department named in the path, the query or the body.
            "404": problem_ref(),
        }
    });
    if secured {
        o["security"] = json!([{ "bearer": [] }]);
    } else {
        o["security"] = json!([]);
    }
    if let Some(schema) = body {
        // A body that is not JSON (or has no `Content-Type: application/json`).
        o["responses"]["415"] = problem_ref();
        o["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } });
    }
    o
}

fn id_param() -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }])
}

fn exchange_params() -> Value {
    json!([
        { "name": "code", "in": "path", "required": true, "schema": { "type": "string" }, "example": "9901-SJ-0001" },
        { "name": "X-Purpose", "in": "header", "required": true, "schema": { "type": "string", "maxLength": 200 }, "description": "用途: why the data is read (UTF-8, percent-encoded if needed). Recorded with the call." },
        { "name": "fields", "in": "query", "schema": { "type": "string" }, "description": "Comma-separated fields to return (default: every granted field)" },
        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 } },
        { "name": "filters", "in": "query", "required": true, "style": "form", "explode": true, "schema": { "type": "object", "additionalProperties": { "type": "string" } }, "description": "`{field}={value}` pairs, e.g. `credit_code=91330100MA2H3K4X5Y`" },
    ])
}

fn exchange_op(summary: &str, schema: &str) -> Value {
    let mut o = op(summary, true, None, ("200", schema));
    o["responses"]["200"]["content"] =
        json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    o["responses"]["429"] = json!({ "description": "Rate limit reached; see Retry-After", "headers": { "Retry-After": { "schema": { "type": "integer" } } } });
    o["security"] = json!([{ "bearer": [] }]);
    o
}

/// Signing in: besides the usual answers, 423 for a locked account and 429 (with Retry-After) when
/// the client address or the account has made too many attempts.
fn login_op() -> Value {
    let mut o = op(
        "登录 / Sign in with username and password",
        false,
        Some("Login"),
        ("200", "LoginReply"),
    );
    o["responses"]["423"] = problem_ref();
    o["responses"]["429"] = json!({ "description": "Too many attempts from this address or on this account; see Retry-After", "headers": { "Retry-After": { "schema": { "type": "integer" } } } });
    o
}

/// The document.
pub fn spec() -> Value {
    let with_id = |mut item: Value| {
        item["parameters"] = id_param();
        item
    };
    let user_item = with_id(json!({
        "get": op("一个用户 / One user (masked personal data)", true, None, ("200", "AccountView")),
        "patch": op("修改工作人员 / Change a staff member", true, Some("UpdateUser"), ("200", "AccountView")),
        "delete": op("停用账号（账号不被删除，账本引用它）/ Disable an account (never erased: the ledger refers to it)", true, None, ("200", "AccountView")),
    }));
    let department_item = with_id(json!({
        "get": op("一个部门 / One department", true, None, ("200", "Department")),
        "patch": op("部门更名 / Rename a department", true, Some("RenameDepartment"), ("200", "Department")),
        "delete": op("删除空部门 / Delete an empty department", true, None, ("204", "deleted")),
    }));
    let roles =
        with_id(json!({ "put": op("设置角色 / Set roles", true, Some("Roles"), ("200", "AccountView")) }));
    let lock =
        with_id(json!({ "post": op("锁定账号 / Lock an account", true, None, ("200", "AccountView")) }));
    let unlock =
        with_id(json!({ "post": op("解锁账号 / Unlock an account", true, None, ("200", "AccountView")) }));
    let enable = with_id(
        json!({ "post": op("重新启用账号 / Enable a disabled account", true, None, ("200", "AccountView")) }),
    );
    let interact = interact_paths();
    let webhooks = webhook_paths();
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Tongban (通办) API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "政务信息服务一体化平台 JSON API. Authenticate with `Authorization: Bearer <token>` from /api/v1/auth/login (people) or /api/v1/auth/token (department systems). Errors are application/problem+json and name the field at fault."
        },
        "paths": {
            "/api/v1/auth/login": { "post": login_op() },
            "/api/v1/auth/mfa": { "post": op("提交动态验证码 / Complete the second factor of a pending session", true, Some("Code"), ("204", "verified")) },
            "/api/v1/auth/logout": { "post": op("退出 / End this session", true, None, ("204", "signed out")) },
            "/api/v1/auth/token": { "post": op("接入系统取令牌 / Client credentials → short-lived bearer token", false, Some("TokenRequest"), ("200", "AccessToken")) },
            "/api/v1/me": { "get": op("当前身份 / Who am I: the account, or the department system calling", true, None, ("200", "Me")) },
            "/api/v1/departments": {
                "get": op("部门树 / Department tree", true, None, ("200", "DepartmentList")),
                "post": op("新增部门 / Add a department", true, Some("NewDepartment"), ("201", "Department")),
            },
            "/api/v1/departments/{id}": department_item,
            "/api/v1/users": {
                "get": {
                    "summary": "用户列表（按权限范围）/ Users within your scope",
                    "security": [{ "bearer": [] }],
                    "parameters": [
                        { "name": "q", "in": "query", "schema": { "type": "string" } },
                        { "name": "department_id", "in": "query", "schema": { "type": "string", "format": "uuid" } },
                        { "name": "role", "in": "query", "schema": { "type": "string", "enum": role_codes(false) } },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 } },
                        { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "maximum": 9007199254740991u64 } }
                    ],
                    "responses": { "200": { "description": "UserList" }, "400": problem_ref(), "401": problem_ref(), "403": problem_ref(), "404": problem_ref() }
                },
                "post": op("新增工作人员 / Add a staff member", true, Some("NewUser"), ("201", "AccountView")),
            },
            "/api/v1/exchange/{code}/records": {
                "parameters": exchange_params(),
                "get": exchange_op(
                    "按信息项查询共享数据 / Look up shared records by field value. Every other query parameter is a filter `{field}={value}` (ANDed, at least one). Only granted fields are returned, personal fields masked unless the grant allows clear text, rows limited by the grant's row filter. Each call is recorded (client, purpose, query, count).",
                    "Records",
                ),
            },
            "/api/v1/exchange/{code}/changes": {
                "parameters": [
                    { "name": "code", "in": "path", "required": true, "schema": { "type": "string" }, "example": "9901-SJ-0001" },
                    { "name": "since", "in": "query", "schema": { "type": "integer", "minimum": 0 }, "description": "Versions after this one (default 0: all)" },
                ],
                "get": exchange_op("数据版本变更 / Versions after `since`, oldest first, with their change summaries", "Changes"),
            },
            "/api/v1/pool/{code}/records": {
                "parameters": [
                    { "name": "code", "in": "path", "required": true, "schema": { "type": "string" }, "example": "9901-GA-0001" }
                ],
                "post": {
                    "summary": "推送数据批次 / Push a batch of records (the providing department's systems, scope `pool.load`): loaded as the resource's next version, governed like a file; bad rows go to the reject report",
                    "security": [{ "bearer": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["records"],
                        "properties": { "records": { "type": "array", "maxItems": 100000, "items": { "type": "object" } } }
                    } } } },
                    "responses": {
                        "200": { "description": "Loaded" },
                        "400": problem_ref(), "401": problem_ref(), "403": problem_ref(), "404": problem_ref(), "413": problem_ref(), "415": problem_ref()
                    }
                }
            },
            "/api/v1/users/{id}": user_item,
            "/api/v1/users/{id}/roles": roles,
            "/api/v1/users/{id}/lock": lock,
            "/api/v1/users/{id}/unlock": unlock,
            "/api/v1/users/{id}/enable": enable,
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Problem": { "type": "object", "properties": {
                    "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                    "detail": { "type": "string" }, "field": { "type": "string" },
                    "invalid-params": { "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" }, "reason": { "type": "string" } } } } } },
                "Login": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string", "format": "password" } } },
                "Code": { "type": "object", "required": ["code"], "properties": { "code": { "type": "string", "pattern": "^[0-9]{6}$" } } },
                "TokenRequest": { "type": "object", "required": ["client_id", "client_secret"], "properties": { "client_id": { "type": "string" }, "client_secret": { "type": "string" }, "scope": { "type": "string", "description": "space-separated" } } },
                "NewDepartment": { "type": "object", "required": ["code", "name_zh", "parent_id"], "properties": { "code": { "type": "string" }, "name_zh": { "type": "string" }, "name_en": { "type": "string" }, "parent_id": { "type": "string", "format": "uuid" } } },
                "NewUser": { "type": "object", "required": ["username", "display_name", "password", "department_id"], "properties": { "username": { "type": "string", "pattern": "^[a-z0-9_.-]{3,32}$" }, "display_name": { "type": "string", "minLength": 1, "maxLength": 50, "pattern": "\\S" }, "password": { "type": "string", "format": "password", "minLength": 10, "maxLength": 128 }, "department_id": { "type": "string", "format": "uuid" }, "roles": { "type": "array", "items": { "type": "string", "enum": role_codes(true) } } } },
                "RenameDepartment": { "type": "object", "required": ["name_zh"], "properties": { "name_zh": { "type": "string" }, "name_en": { "type": "string" } } },
                "UpdateUser": { "type": "object", "properties": { "display_name": { "type": "string" }, "department_id": { "type": "string", "format": "uuid" } } },
                "Roles": { "type": "object", "required": ["roles"], "properties": { "roles": { "type": "array", "items": { "type": "string", "enum": role_codes(true) } } } },
                "Records": { "type": "object", "properties": {
                    "resource": { "type": "string" }, "version": { "type": "integer" },
                    "fields": { "type": "array", "items": { "type": "string" } },
                    "records": { "type": "array", "items": { "type": "object", "additionalProperties": true } },
                    "truncated": { "type": "boolean" } } },
                "Changes": { "type": "object", "properties": {
                    "resource": { "type": "string" }, "current_version": { "type": "integer" },
                    "changes": { "type": "array", "items": { "type": "object", "properties": {
                        "version": { "type": "integer" }, "rows": { "type": "integer" }, "quality": { "type": "number" },
                        "diff": { "type": "object", "properties": { "added": { "type": "integer" }, "changed": { "type": "integer" }, "removed": { "type": "integer" } } },
                        "recorded_ms": { "type": "integer" } } } } } }
            }
        }
    });
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), webhooks.0) {
        paths.extend(more);
    }
    if let (Some(schemas), Value::Object(more)) = (doc["components"]["schemas"].as_object_mut(), webhooks.1) {
        schemas.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), interact.0) {
        paths.extend(more);
    }
    if let (Some(schemas), Value::Object(more)) = (doc["components"]["schemas"].as_object_mut(), interact.1) {
        schemas.extend(more);
    }
    if let (Some(schemas), Value::Object(more)) = (
        doc["components"]["schemas"].as_object_mut(),
        super::answers::schemas(),
    ) {
        schemas.extend(more);
    }
    declare_answers(&mut doc);
    declare_conflicts(&mut doc);
    doc
}

/// Every operation that changes something may find it changed first, or in a state that does
/// not allow it (an item already rated, a username taken): 409, the Problem naming the field.
fn declare_conflicts(doc: &mut Value) {
    for_each_answers(doc, |method, responses| {
        if matches!(method, "post" | "put" | "patch" | "delete") {
            responses.entry("409").or_insert_with(problem_ref);
        }
    });
}

/// Gives every success answer whose description names a schema that schema as its JSON body.
fn declare_answers(doc: &mut Value) {
    let names: Vec<String> = doc["components"]["schemas"]
        .as_object()
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    for_each_answers(doc, |_, responses| {
        for (status, answer) in responses.iter_mut() {
            let named = answer["description"]
                .as_str()
                .filter(|d| names.iter().any(|n| n == d));
            if status.starts_with('2')
                && answer.get("content").is_none()
                && let Some(name) = named
            {
                answer["content"] = json!({ "application/json": { "schema": super::answers::r(name) } });
            }
        }
    });
}

/// Calls `f` with each operation's method and its answers, by status.
fn for_each_answers(doc: &mut Value, mut f: impl FnMut(&str, &mut serde_json::Map<String, Value>)) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (method, op) in item.iter_mut().filter(|(m, _)| *m != "parameters") {
            if let Some(responses) = op["responses"].as_object_mut() {
                f(method, responses);
            }
        }
    }
}

fn page_params() -> Value {
    json!([
        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 20 } },
        { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "maximum": 9007199254740991u64 } }
    ])
}

fn with_params(mut op: Value, extra: Value) -> Value {
    let mut params = page_params();
    if let (Some(p), Value::Array(e)) = (params.as_array_mut(), extra) {
        p.extend(e);
    }
    op["parameters"] = params;
    op
}

/// The interaction endpoints (政民互动) and their schemas.
fn interact_paths() -> (Value, Value) {
    let q = |name: &str, desc: &str| json!({ "name": name, "in": "query", "schema": { "type": "string" }, "description": desc });
    // A filter: one of `values`, or empty for any.
    let one_of = |name: &str, values: &[&str]| {
        let mut any = vec![""];
        any.extend_from_slice(values);
        json!({ "name": name, "in": "query", "schema": { "type": "string", "enum": any } })
    };
    let kinds = ["inquiry", "complaint", "suggestion", "help", "praise"];
    let mut attachment = op(
        "下载附件 / An attachment's content (submitter or staff who see the item; staff reads are recorded)",
        true,
        None,
        ("200", "the file"),
    );
    let file = json!({ "schema": { "type": "string", "format": "binary" } });
    attachment["responses"]["200"]["content"] =
        json!({ "application/pdf": file, "image/png": file, "image/jpeg": file });
    let paths = json!({
        "/api/v1/interact/items": {
            "post": op("提交诉求（公众/企业）/ Submit an inquiry, complaint, suggestion, help request or praise (citizen or business)", true, Some("NewInteractItem"), ("201", "ItemView"))
        },
        "/api/v1/hall/cases/mine": {
            "get": with_params(op("我的办件（公众/企业）/ My cases, newest first: number, item, state, due_date and due_provisional (暂定 while next year's holidays are not announced)", true, None, ("200", "MyCases")), json!([]))
        },
        "/api/v1/interact/items/mine": {
            "get": with_params(op("我的诉求 / My items, newest first", true, None, ("200", "ItemListing")), json!([]))
        },
        "/api/v1/interact/items/{id}": {
            "parameters": id_param(),
            "get": op("一件诉求及其办理记录和答复 / One item with its timeline and replies (submitter or handling staff)", true, None, ("200", "ItemDetail"))
        },
        "/api/v1/interact/attachments/{id}": {
            "parameters": id_param(),
            "get": attachment
        },
        "/api/v1/interact/items/{id}/replies": {
            "parameters": id_param(),
            "post": op("答复诉求：返回答复质量提示 / Reply; the reply comes back with the quality checks' flags (advice with reasons). Replies to public items wait for a reviewer.", true, Some("InteractReply"), ("201", "Reply"))
        },
        "/api/v1/interact/items/{id}/rating": {
            "parameters": id_param(),
            "post": op("评价答复（满意/基本满意/不满意）/ Rate the reply; 不满意 may reopen once and starts rectification", true, Some("InteractRating"), ("200", "ItemView"))
        },
        "/api/v1/interact/replies/{id}/review": {
            "parameters": id_param(),
            "post": op("审核答复 / Approve (and publish) or send back a reply to a public item", true, Some("InteractReview"), ("200", "Reply"))
        },
        "/api/v1/interact/inbox": {
            "get": with_params(op("待办诉求（工作人员）/ Staff inbox: items of the caller's departments and those they assist", true, None, ("200", "ItemListing")), json!([
                one_of("status", &["unassigned", "in_progress", "in_review", "replied", "closed", "merged"]),
                one_of("kind", &kinds),
                q("category", "category code"),
                q("department", "department path, e.g. /9901/9901-GA/"),
                one_of("clock", &["due_soon", "overdue"]),
                q("q", "text in number, title or text")
            ]))
        },
        "/api/v1/interact/board": {
            "get": with_params(op("政民互动公开 / Public board: published items and replies, personal data removed", false, None, ("200", "BoardListing")), json!([
                one_of("kind", &kinds),
                q("category", "category code"),
                q("department", "department path"),
                q("district", "district code"),
                q("q", "text in title, text or reply")
            ]))
        },
        "/api/v1/interact/stats": {
            "get": op("部门统计 / Per-department volume, on-time rate, average working days to reply, satisfaction (kept current on every write)", false, None, ("200", "DeptStatsList"))
        }
    });
    let schemas = json!({
        "NewInteractItem": { "type": "object", "required": ["kind", "category", "title", "text"], "properties": {
            "kind": { "type": "string", "enum": ["inquiry", "complaint", "suggestion", "help", "praise"] },
            "category": { "type": "string", "minLength": 1 },
            "title": { "type": "string", "minLength": 1, "maxLength": 100, "pattern": LINE },
            "text": { "type": "string", "minLength": 1, "maxLength": 4000, "pattern": TEXT },
            "location": { "type": "object", "nullable": true,
                "description": "latitude and longitude come together or not at all",
                "properties": {
                "address": { "type": "string" }, "district": { "type": "string" },
                "latitude": { "type": "number", "minimum": -90, "maximum": 90 },
                "longitude": { "type": "number", "minimum": -180, "maximum": 180 } } },
            "public": { "type": "boolean", "description": "publish with the reply on the public board (personal data removed)" },
            "contact": { "type": "object", "properties": {
                "preference": { "type": "string", "enum": ["in_app", "phone", "sms", "email", "none"] },
                "name": { "type": "string" }, "phone": { "type": "string" }, "email": { "type": "string" } } },
            "attachments": { "type": "array", "maxItems": 3, "description": "PDF, PNG or JPEG by content, at most 10 MiB each; image metadata (GPS Exif, XMP, IPTC) is removed before storing", "items": {
                "type": "object", "required": ["content_base64"], "properties": {
                    "file_name": { "type": "string" }, "media_type": { "type": "string" },
                    "content_base64": { "type": "string", "format": "byte" } } } } } },
        "InteractReply": { "type": "object", "required": ["text"], "properties": { "text": { "type": "string", "minLength": 1, "maxLength": 4000, "pattern": TEXT } } },
        "InteractRating": { "type": "object", "required": ["satisfaction"], "properties": {
            "satisfaction": { "type": "string", "enum": ["satisfied", "basic", "unsatisfied"] },
            "comment": { "type": "string", "maxLength": 500, "pattern": TEXT_OR_EMPTY },
            "reopen": { "type": "boolean", "description": "with unsatisfied: ask for handling again (once)" } } },
        "InteractReview": { "oneOf": [
            { "type": "object", "required": ["decision", "publish"], "properties": {
                "decision": { "type": "string", "enum": ["approve"] },
                "publish": { "type": "boolean", "description": "publish item and reply on the board (public items)" } } },
            { "type": "object", "required": ["decision", "note"], "properties": {
                "decision": { "type": "string", "enum": ["send_back"] },
                "note": { "type": "string", "minLength": 1, "maxLength": 1000, "pattern": TEXT, "description": "what to change" } } } ] }
    });
    (paths, schemas)
}

/// `GET /api/openapi.json`: the document, with the categories a new item may name as they are
/// configured now (they change in the console).
pub async fn document(axum::extract::State(state): axum::extract::State<crate::AppState>) -> Json<Value> {
    let mut doc = spec();
    // None configured yet: any code, rather than an enum nothing satisfies.
    if let Ok(categories) = state.interact.categories(false).await
        && !categories.is_empty()
    {
        let codes: Vec<String> = categories.into_iter().map(|c| c.code).collect();
        doc["components"]["schemas"]["NewInteractItem"]["properties"]["category"] =
            json!({ "type": "string", "enum": codes });
    }
    Json(doc)
}

/// The webhook subscription paths and their schemas.
fn webhook_paths() -> (Value, Value) {
    let code = json!({ "name": "code", "in": "path", "required": true, "schema": { "type": "string" }, "example": "9901-SJ-0001" });
    let mut subscribe = exchange_op(
        "订阅新版本通知 / Subscribe a callback to new versions (https, or http to loopback); the answer holds the HMAC-SM3 signing secret, shown once. Deliveries carry X-Tongban-Signature: hmac-sm3=<hex of HMAC-SM3(secret, timestamp + \".\" + body)>, X-Tongban-Timestamp and X-Tongban-Delivery, and are retried with back-off",
        "NewSubscriptionReply",
    );
    subscribe["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewSubscription" } } } });
    subscribe["responses"]["415"] = problem_ref();
    if let Some(r) = subscribe["responses"].as_object_mut()
        && let Some(ok) = r.remove("200")
    {
        r.insert("201".into(), ok);
    }
    let mut unsubscribe = exchange_op(
        "取消订阅 / End a subscription (waiting deliveries are cancelled)",
        "Subscription",
    );
    if let Some(r) = unsubscribe["responses"].as_object_mut() {
        r.remove("200");
        r.insert("204".into(), json!({ "description": "ended" }));
    }
    let paths = json!({
        "/api/v1/exchange/{code}/subscriptions": {
            "parameters": [code.clone()],
            "get": exchange_op("本系统的变更通知订阅 / The calling system's webhook subscriptions, with delivery counts", "Subscriptions"),
            "post": subscribe,
        },
        "/api/v1/exchange/{code}/subscriptions/{id}": {
            "parameters": [code, { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
            "get": exchange_op("一个订阅及其投递记录 / One subscription with its delivery log", "SubscriptionLog"),
            "delete": unsubscribe,
        },
    });
    let schemas = json!({
                "NewSubscription": { "type": "object", "required": ["url"], "properties": { "url": { "type": "string", "format": "uri", "example": "https://mz.example.gov.cn/hooks/tongban" } } },
        "Subscription": { "type": "object", "properties": {
            "id": { "type": "string" }, "resource": { "type": "string" }, "url": { "type": "string" },
            "created_ms": { "type": "integer" }, "pending": { "type": "integer" }, "delivered": { "type": "integer" }, "failed": { "type": "integer" } } },
        "Subscriptions": { "type": "object", "properties": { "subscriptions": { "type": "array", "items": { "$ref": "#/components/schemas/Subscription" } } } },
        "NewSubscriptionReply": { "type": "object", "properties": { "subscription": { "$ref": "#/components/schemas/Subscription" }, "secret": { "type": "string", "description": "whsec_…: keep it; it is not shown again" } } },
        "SubscriptionLog": { "type": "object", "properties": { "subscription": { "$ref": "#/components/schemas/Subscription" },
            "deliveries": { "type": "array", "items": { "type": "object", "properties": {
                "id": { "type": "string" }, "version": { "type": "integer" }, "status": { "type": "string", "enum": ["pending", "delivered", "failed", "cancelled"] },
                "attempts": { "type": "integer" }, "last_status": { "type": "integer", "nullable": true }, "last_error": { "type": "string", "nullable": true },
                "next_ms": { "type": "integer" }, "created_ms": { "type": "integer" }, "updated_ms": { "type": "integer" } } } } } },
    });
    (paths, schemas)
}

#[cfg(test)]
mod tests {
    use super::spec;

    #[test]
    fn every_operation_declares_the_answers_a_caller_can_get() {
        let doc = spec();
        let mut seen = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                seen += 1;
                let responses = op["responses"].as_object().unwrap();
                // Every operation may name something that does not exist.
                assert!(responses.contains_key("404"), "{method} {path}: no 404");
                if op.get("requestBody").is_some() {
                    assert!(responses.contains_key("415"), "{method} {path}: no 415");
                }
                if method != "get" {
                    assert!(responses.contains_key("409"), "{method} {path}: no 409");
                }
                // Every success with a body says what the body is.
                for (status, answer) in responses {
                    if status.starts_with('2') && status != "204" {
                        assert!(
                            answer.get("content").is_some(),
                            "{method} {path} {status}: no body declared"
                        );
                    }
                }
            }
        }
        assert!(seen > 30, "{seen} operations");
    }

    #[test]
    fn every_schema_named_is_defined() {
        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = spec();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 40, "{}", found.len());
        for r in found {
            let name = r
                .strip_prefix("#/components/schemas/")
                .expect("a schema reference");
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} is not defined"
            );
        }
    }
}
