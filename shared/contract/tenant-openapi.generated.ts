// Generated from openapi.yaml by bin/gen-contract.ts (npm run gen). Do not edit.
// The tenant plane's paths (`/{tenant}/...`) and the components they use: the template of every
// per-tenant OpenAPI document (shared/services/tenant-swagger.ts). A part that occurs more than
// once (a response, a security requirement, a schema) is written once as a constant and used
// where it occurs: the document is the same, the bundle holds each such part once.

const _0: unknown = {
  "$ref": "#/components/responses/TenantBadRequest"
};
const _1: unknown = {
  "$ref": "#/components/responses/TenantUnauthorized"
};
const _2: unknown = {
  "$ref": "#/components/responses/Forbidden"
};
const _3: unknown = {
  "$ref": "#/components/responses/NotFound"
};
const _4: unknown = {
  "$ref": "#/components/responses/InternalError"
};
const _5: unknown = {
  "$ref": "#/components/responses/ServiceUnavailable"
};
const _6: unknown = {
  "$ref": "#/components/schemas/TenantProduct"
};
const _7: unknown = [
  {
    "tenantBearer": [
      "catalog:request"
    ]
  },
  {
    "tenantApiKey": [
      "catalog:request"
    ]
  }
];
const _8: unknown = {
  "$ref": "#/components/schemas/Identifier"
};
const _9: unknown = {
  "in": "query",
  "name": "product",
  "schema": _8
};
const _10: unknown = [
  _9
];
const _11: unknown = {
  "required": false,
  "content": {
    "application/json": {
      "schema": {
        "$ref": "#/components/schemas/TenantCatalogRequest"
      }
    }
  }
};
const _12: unknown = {
  "$ref": "#/components/responses/ForbiddenWrite"
};
const _13: unknown = {
  "$ref": "#/components/responses/InactiveTenantConflict"
};
const _14: unknown = {
  "$ref": "#/components/responses/PayloadTooLarge"
};
const _15: unknown = {
  "$ref": "#/components/responses/UnsupportedMediaType"
};
const _16: unknown = [
  {
    "tenantBearer": [
      "audit:read"
    ]
  },
  {
    "tenantApiKey": [
      "audit:read"
    ]
  }
];
const _17: unknown = {
  "type": "string",
  "minLength": 1,
  "maxLength": 255
};
const _18: unknown = {
  "in": "query",
  "name": "actor_id",
  "schema": _17
};
const _19: unknown = {
  "type": "string",
  "minLength": 1,
  "maxLength": 128
};
const _20: unknown = {
  "in": "query",
  "name": "action",
  "schema": _19
};
const _21: unknown = {
  "$ref": "#/components/schemas/AuditOrigin"
};
const _22: unknown = {
  "in": "query",
  "name": "origin",
  "schema": _21
};
const _23: unknown = {
  "type": "string",
  "format": "uuid"
};
const _24: unknown = {
  "in": "query",
  "name": "key_id",
  "description": "One of the tenant's keys; another tenant's key matches nothing.",
  "schema": _23
};
const _25: unknown = {
  "type": "string",
  "format": "date-time"
};
const _26: unknown = {
  "in": "query",
  "name": "since",
  "schema": _25
};
const _27: unknown = {
  "in": "query",
  "name": "until",
  "schema": _25
};
const _28: unknown = {
  "type": "integer",
  "minimum": 1,
  "maximum": 9007199254740991
};
const _29: unknown = {
  "$ref": "#/components/schemas/TenantAuditEvent"
};
const _30: unknown = {
  "type": "array",
  "items": _29
};
const _31: unknown = [
  {
    "tenantBearer": [
      "audit:write"
    ]
  },
  {
    "tenantApiKey": [
      "audit:write"
    ]
  }
];
const _32: unknown = {
  "$ref": "#/components/schemas/TenantAuditAppend"
};
const _33: unknown = [
  {
    "$ref": "#/components/schemas/Error"
  }
];
const _34: unknown = {
  "application/json": {
    "schema": {
      "allOf": _33,
      "properties": {
        "error": {
          "enum": [
            "invalid_input",
            "tenant_required",
            "tenant_conflict",
            "reserved_action",
            "reserved_actor_type"
          ]
        }
      }
    }
  }
};
const _35: unknown = {
  "schema": {
    "type": "string"
  }
};
const _36: unknown = [
  {
    "tenantBearer": [
      "keys:manage"
    ]
  },
  {
    "tenantApiKey": [
      "keys:manage"
    ]
  }
];
const _37: unknown = {
  "in": "query",
  "name": "cursor",
  "schema": {
    "type": "string",
    "maxLength": 512
  }
};
const _38: unknown = {
  "$ref": "#/components/schemas/APIKey"
};
const _39: unknown = {
  "Location": {
    "$ref": "#/components/headers/Location"
  }
};
const _40: unknown = {
  "$ref": "#/components/responses/ForbiddenGrant"
};
const _41: unknown = {
  "in": "path",
  "name": "id",
  "required": true,
  "schema": _23
};
const _42: unknown = [
  _41
];
const _43: unknown = {
  "$ref": "#/components/responses/Conflict"
};
const _44: unknown = [
  {
    "tenantBearer": [
      "webhooks:manage"
    ]
  },
  {
    "tenantApiKey": [
      "webhooks:manage"
    ]
  }
];
const _45: unknown = {
  "$ref": "#/components/parameters/WebhookLimit"
};
const _46: unknown = {
  "$ref": "#/components/responses/WebhookConflict"
};
const _47: unknown = {
  "$ref": "#/components/parameters/WebhookId"
};
const _48: unknown = [
  _47
];
const _49: unknown = {
  "$ref": "#/components/schemas/Webhook"
};
const _50: unknown = {
  "application/json": {
    "schema": _49
  }
};
const _51: unknown = {
  "$ref": "#/components/schemas/WebhookDelivery"
};
const _52: unknown = {
  "application/json": {
    "schema": _51
  }
};
const _53: unknown = {
  "type": "string",
  "pattern": "^[0-9]{1,16}$"
};
const _54: unknown = {
  "$ref": "#/components/schemas/Scope"
};
const _55: unknown = {
  "type": [
    "string",
    "null"
  ],
  "format": "date-time"
};
const _56: unknown = {
  "$ref": "#/components/schemas/SettingsKey"
};
const _57: unknown = {
  "$ref": "#/components/schemas/SettingsValue"
};
const _58: unknown = {
  "type": "string",
  "maxLength": 255
};
const _59: unknown = {
  "type": "string",
  "maxLength": 64
};
const _60: unknown = {
  "type": "object",
  "additionalProperties": true
};
const _61: unknown = {
  "type": [
    "string",
    "null"
  ],
  "format": "date"
};
const _62: unknown = {
  "type": "array",
  "items": {
    "type": "string"
  }
};
const _63: unknown = {
  "type": "string",
  "minLength": 1,
  "maxLength": 2048
};
const _64: unknown = {
  "$ref": "#/components/schemas/WebhookEventTypes"
};
const _65: unknown = {
  "type": "string",
  "enum": [
    "enabled",
    "disabled"
  ]
};
const _66: unknown = {
  "type": "integer",
  "minimum": 0
};

export const TENANT_PATHS: Readonly<Record<string, unknown>> = {
  "/{tenant}/profile": {
    "get": {
      "operationId": "getTenantProfile",
      "tags": [
        "tenant-plane"
      ],
      "summary": "The calling tenant's profile (status, plan, capabilities, aliases). Scope profile:read.",
      "security": [
        {
          "tenantBearer": [
            "profile:read"
          ]
        },
        {
          "tenantApiKey": [
            "profile:read"
          ]
        }
      ],
      "responses": {
        "200": {
          "description": "The tenant.",
          "headers": {
            "ETag": {
              "$ref": "#/components/headers/ETag"
            }
          },
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/TenantProfile"
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/entitlements": {
    "get": {
      "operationId": "getTenantEntitlements",
      "tags": [
        "tenant-plane"
      ],
      "summary": "The calling tenant's product entitlements. An expired one reads as not enabled. Scope entitlements:read.",
      "security": [
        {
          "tenantBearer": [
            "entitlements:read"
          ]
        },
        {
          "tenantApiKey": [
            "entitlements:read"
          ]
        }
      ],
      "responses": {
        "200": {
          "description": "Entitlements.",
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "items"
                ],
                "properties": {
                  "items": {
                    "type": "array",
                    "items": _6
                  }
                }
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/catalog/request": {
    "post": {
      "operationId": "requestTenantProduct",
      "tags": [
        "tenant-plane"
      ],
      "security": _7,
      "summary": "Ask for a product for the calling tenant; an audit event tells sales to follow up. Scope catalog:request.",
      "description": "`product` may come from the query string, the JSON body or both; the body wins on conflict.\n",
      "parameters": _10,
      "requestBody": _11,
      "responses": {
        "202": {
          "description": "Accepted; the audit event's id.",
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "status",
                  "audit_event_id"
                ],
                "properties": {
                  "status": {
                    "type": "string",
                    "const": "accepted"
                  },
                  "audit_event_id": {
                    "type": "integer"
                  }
                }
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": _13,
        "413": _14,
        "415": _15,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/catalog/trial-request": {
    "post": {
      "operationId": "requestTenantTrial",
      "tags": [
        "tenant-plane"
      ],
      "security": _7,
      "summary": "Start a 14-day trial of a product for the calling tenant. Scope catalog:request.",
      "description": "One trial per product per tenant, ever. 409 codes: `tenant_inactive`, `trial_unavailable`,\n`plan_not_eligible` (the tenant's plan is not among the product's `plans_required`),\n`trial_used`, `already_entitled`. `product` may come from the query string, the JSON body\nor both; the body wins on conflict.\n",
      "parameters": _10,
      "requestBody": _11,
      "responses": {
        "201": {
          "description": "Trial entitlement created. No `Location`, the tenant plane has no URL for one entitlement (the tenant's entitlements list shows them all).",
          "content": {
            "application/json": {
              "schema": _6
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": {
          "$ref": "#/components/responses/TrialConflict"
        },
        "413": _14,
        "415": _15,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/audit": {
    "get": {
      "operationId": "listTenantAuditEvents",
      "tags": [
        "tenant-plane"
      ],
      "security": _16,
      "summary": "The calling tenant's audit events, newest first, filtered; cursor pagination. Scope audit:read.",
      "description": "Each event as the tenant may see it (the tenant projection, `TenantAuditEvent`): never\nthe profile fields the tenant's profile leaves out (`sales_owner`, `erp_customer_id`,\n`stripe_cust_id`, `cancel_reason`), nor the request context (`source_ip`, `user_agent`,\n`metadata.request_id`) of events the tenant did not cause. Filters combine; `origin`\nor `key_id` with `product`, `actor_id` or `action` read the partition of the rest and\nfilter it, at most 1,000 events per page: such a page may hold fewer than `limit`\nevents, even none, and still carry a `next_cursor`. Page on until `next_cursor` is\nabsent.\n",
      "parameters": [
        _9,
        _18,
        _20,
        _22,
        _24,
        _26,
        _27,
        {
          "in": "query",
          "name": "limit",
          "description": "The most items a page holds. A page also ends early, with `next_cursor`, where the\nnext item would take the response past 786,432 bytes (768 KiB) of items, counted as\na Lambda response carries them (the body's JSON escaped once more): under the 1 MB\nan Application Load Balancer accepts from a Lambda and the 6 MB of a Lambda\nresponse. Page on until `next_cursor` is absent.\n",
          "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": 500,
            "default": 50
          }
        },
        {
          "in": "query",
          "name": "cursor",
          "description": "The `next_cursor` of the previous page, as for `listAuditEvents`.",
          "schema": _28
        }
      ],
      "responses": {
        "200": {
          "description": "One page.",
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "items"
                ],
                "properties": {
                  "items": _30,
                  "next_cursor": _28
                }
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    },
    "post": {
      "operationId": "appendTenantAuditEvent",
      "tags": [
        "tenant-plane"
      ],
      "security": _31,
      "summary": "Append an event to the calling tenant's hash chain. Scope audit:write.",
      "description": "The event always belongs to the calling tenant. Without `actor_id` the key is the actor\n(`actor_id` its id, `actor_type` `api_key` unless given). The server sets `origin: tenant`\nand `key_id` (the writing key) inside the hash. Refused with 400: an action in one of the\nregistry's own namespaces (`tenant.`, `alias.`, `api_key.`, `entitlement.`, `catalog.`,\n`trial.`, `keycloak.`, `webhook.`, `audit.`, in any case: `reserved_action`), and an `actor_type`\nthe registry uses for itself (`operator`, `service`, `api_key`, `system`, `public`, in any\ncase: `reserved_actor_type`). Fields may come from the query string, the JSON body or\nboth; the body wins on conflict.\nA lost race for the chain's head (a busy tenant) is retried inside the request, with\njittered exponential backoff, for up to `TENANT_REGISTRY_WRITE_BUDGET_MS` (5 s): never a\n409. Only past that budget is it 503 `service_unavailable` with `Retry-After`, and then\nnothing was stored.\n",
      "requestBody": {
        "required": false,
        "content": {
          "application/json": {
            "schema": _32
          }
        }
      },
      "responses": {
        "201": {
          "description": "Created. No `Location`, no URL names one event; list them with `listTenantAuditEvents`.",
          "content": {
            "application/json": {
              "schema": _29
            }
          }
        },
        "400": {
          "description": "The request is refused:\n- `invalid_input`: the request is malformed or fails validation; the message names the field, parameter or header.\n- `tenant_required`: no tenant is named (send the path segment, the tenant header or `tenant_id`).\n- `tenant_conflict`: the path, the tenant header and `tenant_id` disagree (some name the key's tenant, some do not).\n- `reserved_action`: the action is in one of the registry's own namespaces.\n- `reserved_actor_type`: the actor type is one the registry sets itself.\n",
          "content": _34
        },
        "401": _1,
        "403": _12,
        "404": _3,
        "413": _14,
        "415": _15,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/audit/batch": {
    "post": {
      "operationId": "appendTenantAuditBatch",
      "tags": [
        "tenant-plane"
      ],
      "security": _31,
      "summary": "Append up to 99 events to the calling tenant's hash chain, atomically. Scope audit:write.",
      "description": "Up to 99 events, each shaped like a single append and checked like one, stored in one\nDynamoDB transaction (TransactWriteItems holds at most 100 items: each event is one, its\nchain's head one more), in the order sent, each with its own `id`, `prev_hash` and\n`hash`: all are stored or none. The events of one chain take consecutive ids of one\nmillisecond. One refused event refuses the batch, and the message names its index\n(`events[5].action ...`). An empty list or more than 99 events is 400 `invalid_input`,\nas are events that take more than 262,144 bytes as JSON. With `Idempotency-Key` (its\nrecord is one more transaction item, so at most 98 events), a replay within 24 hours\nreturns the first response (`Idempotent-Replayed: true`); the same key with another\nbody is 422; a duplicate sent while the first is being committed is 409\n`idempotency_in_progress`. A lost race for a chain's head is retried within\n`TENANT_REGISTRY_WRITE_BUDGET_MS`, then 503 with `Retry-After` (nothing stored).\n\nEvery event belongs to the calling tenant and is checked as `appendTenantAuditEvent`\nchecks one (`reserved_action`, `reserved_actor_type`); the server sets `origin: tenant`\nand `key_id` on each. The `Idempotency-Key` is the calling tenant's: another tenant's\nuse of the same key is a different request.\n",
      "parameters": [
        {
          "$ref": "#/components/parameters/IdempotencyKey"
        }
      ],
      "requestBody": {
        "required": true,
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/TenantAuditBatch"
            }
          }
        }
      },
      "responses": {
        "201": {
          "description": "Created. The stored events as the tenant sees them, in the order sent. No `Location`, no URL names one event; list them with `listTenantAuditEvents`.",
          "headers": {
            "Idempotent-Replayed": {
              "$ref": "#/components/headers/IdempotentReplayed"
            }
          },
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "events"
                ],
                "properties": {
                  "events": _30
                }
              }
            }
          }
        },
        "400": {
          "description": "The request is refused:\n- `invalid_input`: the request is malformed or fails validation (an empty list, more than 99 events); the message names the field (`body.events[5].action`), parameter or header.\n- `tenant_required`: no tenant is named (send the path segment, the tenant header or `tenant_id`).\n- `tenant_conflict`: the path and the tenant header or `tenant_id` name different tenants.\n- `reserved_action`: an event's action is in one of the registry's own namespaces (`events[5].action: ...`).\n- `reserved_actor_type`: an event's actor type is one the registry sets itself (`events[5].actor_type: ...`).\n",
          "content": _34
        },
        "401": _1,
        "403": _12,
        "404": _3,
        "409": {
          "description": "A request with this `Idempotency-Key` is still being committed (`idempotency_in_progress`); retry to get its response.",
          "content": {
            "application/json": {
              "schema": {
                "allOf": _33,
                "properties": {
                  "error": {
                    "enum": [
                      "idempotency_in_progress"
                    ]
                  }
                }
              }
            }
          }
        },
        "413": _14,
        "415": _15,
        "422": {
          "$ref": "#/components/responses/Unprocessable"
        },
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/audit/export": {
    "get": {
      "operationId": "exportTenantAuditEvents",
      "tags": [
        "tenant-plane"
      ],
      "security": _16,
      "summary": "The calling tenant's matching audit events, oldest first, streamed as NDJSON or CSV. Scope audit:read.",
      "description": "As `exportAuditEvents`, on the caller's chain only (never another tenant's or a global\nevent), each event as `listTenantAuditEvents` shows it (the tenant projection). An\nevent marked `redacted: true` withholds something its hash covers: its hash cannot be\nrecomputed from the file, though its links still can, and the offline verifier says so\ninstead of reporting a break.\n",
      "parameters": [
        _9,
        _18,
        _20,
        _22,
        _24,
        _26,
        _27,
        {
          "$ref": "#/components/parameters/ExportFormat"
        }
      ],
      "responses": {
        "200": {
          "description": "The export, streamed.",
          "headers": {
            "Content-Disposition": {
              "$ref": "#/components/headers/ExportDisposition"
            }
          },
          "content": {
            "application/x-ndjson": _35,
            "text/csv": _35
          }
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/api-keys": {
    "get": {
      "operationId": "listTenantApiKeys",
      "tags": [
        "tenant-plane"
      ],
      "security": _36,
      "summary": "The calling tenant's API keys, newest first. Never a secret or a hash. Scope keys:manage.",
      "parameters": [
        {
          "in": "query",
          "name": "limit",
          "description": "The most items a page holds. A page also ends early, with `next_cursor`, where the\nnext item would take the response past 786,432 bytes (768 KiB) of items, counted as\na Lambda response carries them (the body's JSON escaped once more): under the 1 MB\nan Application Load Balancer accepts from a Lambda and the 6 MB of a Lambda\nresponse. Page on until `next_cursor` is absent.\n",
          "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": 500,
            "default": 100
          }
        },
        _37
      ],
      "responses": {
        "200": {
          "description": "One page.",
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "items"
                ],
                "properties": {
                  "items": {
                    "type": "array",
                    "items": _38
                  },
                  "next_cursor": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    },
    "post": {
      "operationId": "createTenantApiKey",
      "tags": [
        "tenant-plane"
      ],
      "security": _36,
      "summary": "Create a key for the calling tenant; the plaintext is in this response only. Scope keys:manage.",
      "description": "A new key's scopes are always a subset of the calling key's: a scope it does not hold is\na 403 `scope_not_held`; without `scopes` the new key gets the default read scopes\n(`profile:read`, `entitlements:read`, `audit:read`, `swagger:read`) that the caller\nholds, and a 400 `invalid_input` naming `scopes` when it holds none of them; `scopes: []`\nis a 400 `invalid_input` naming `scopes`. Every key made here expires: without\n`expires_at` after the maximum key lifetime (`TENANT_REGISTRY_KEY_MAX_LIFETIME_DAYS`,\ndefault 365 days); an `expires_at` in the past or further ahead is a 400 `invalid_input`\nnaming `expires_at` and the limit. Fields may come from the query string (`scopes`\ncomma-separated), the JSON body or both; the body wins on conflict. Not idempotent.\n",
      "requestBody": {
        "required": false,
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/TenantAPIKeyCreate"
            }
          }
        }
      },
      "responses": {
        "201": {
          "description": "Created. `Location` is the key's URL, where it is revoked and (with `/roll`) rolled; keys are listed, never read one by one.",
          "headers": _39,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/APIKeyCreated"
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _40,
        "404": _3,
        "409": _13,
        "413": _14,
        "415": _15,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/api-keys/{id}": {
    "parameters": _42,
    "delete": {
      "operationId": "revokeTenantApiKey",
      "tags": [
        "tenant-plane"
      ],
      "security": _36,
      "summary": "Revoke one of the calling tenant's keys; another tenant's key id is 404. Scope keys:manage.",
      "responses": {
        "204": {
          "description": "Revoked."
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": _43,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/api-keys/{id}/roll": {
    "parameters": _42,
    "post": {
      "operationId": "rollTenantApiKey",
      "tags": [
        "tenant-plane"
      ],
      "security": _36,
      "summary": "Roll one of the calling tenant's keys; the new plaintext is in this response only. Scope keys:manage.",
      "description": "As `rollApiKey` on the operator plane, for the calling tenant's own keys: another\ntenant's key id is 404 exactly like an unknown id, and nothing changes. The caller gets\nthe new plaintext, so it may roll only a key whose scopes it holds all of (else 403\n`scope_not_held`); a key may roll itself. The new key's `created_by` is the calling\nkey, and it always expires (`expires_at` as in `createTenantApiKey`). 409\n`api_key_unusable` for a revoked or expired key, `conflict` when it was revoked or\nrolled meanwhile. Fields may come from the query string, the JSON body or both; the body\nwins on conflict. Not idempotent.\n",
      "requestBody": {
        "required": false,
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/TenantAPIKeyRoll"
            }
          }
        }
      },
      "responses": {
        "201": {
          "description": "Rolled. `Location` is the new key's URL (as on create).",
          "headers": _39,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/APIKeyRolled"
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _40,
        "404": _3,
        "409": {
          "$ref": "#/components/responses/KeyRollConflict"
        },
        "413": _14,
        "415": _15,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/webhooks": {
    "get": {
      "operationId": "listTenantWebhooks",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "The calling tenant's webhook endpoints, newest first. Never a secret. Scope webhooks:manage.",
      "parameters": [
        {
          "in": "query",
          "name": "tenant_id",
          "description": "Only this tenant's endpoints. Without it, every endpoint (global and tenants').",
          "schema": _23
        },
        _45,
        {
          "$ref": "#/components/parameters/WebhookCursor"
        }
      ],
      "responses": {
        "200": {
          "description": "One page.",
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/WebhookList"
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    },
    "post": {
      "operationId": "createTenantWebhook",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "Create a webhook endpoint of the calling tenant; its signing secret is in this response only. Scope webhooks:manage.",
      "description": "`url` must be `https` (http to 127.0.0.1, [::1] or localhost only while\n`TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL` is on, as it is in local mode), without credentials\nor fragment; at each delivery its host must resolve to public addresses only\n(docs/webhooks.md#ssrf). `events`: registry event types, products' own action names, or\n`[\"*\"]` (every registry type; a product's type only when named), at most 50, no repeats.\nThe endpoint is the calling tenant's: it gets only that tenant's events (never another\ntenant's, never a global one), in the tenant's view. Fields may come from the query\nstring (`events` comma-separated), the JSON body or both; the body wins. At most `TENANT_REGISTRY_WEBHOOK_MAX_ENDPOINTS` (20) per\ntenant (409 `webhook_limit`). Records\n`webhook.created`. Not idempotent: the secret is shown once.\n",
      "requestBody": {
        "required": true,
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/TenantWebhookCreate"
            }
          }
        }
      },
      "responses": {
        "201": {
          "description": "Created. `Location` is the endpoint's URL.",
          "headers": _39,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/WebhookCreated"
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": _46,
        "413": _14,
        "415": _15,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/webhooks/{id}": {
    "parameters": _48,
    "get": {
      "operationId": "getTenantWebhook",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "One webhook endpoint. Never its secret.",
      "responses": {
        "200": {
          "description": "The endpoint.",
          "content": _50
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    },
    "patch": {
      "operationId": "updateTenantWebhook",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "Change an endpoint's url, events, description (null removes it) or status.",
      "description": "The rules of `createWebhook` for `url` and `events`. `status: enabled` re-enables an\nendpoint the registry disabled (410 or 5 days of failures) and starts a fresh failure\nstreak. Records `webhook.updated` (the fields changed). 409 `conflict` when it changed\nmeanwhile.\n",
      "requestBody": {
        "required": true,
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/WebhookUpdate"
            }
          }
        }
      },
      "responses": {
        "200": {
          "description": "The endpoint as changed.",
          "content": _50
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": _43,
        "413": _14,
        "415": _15,
        "500": _4,
        "503": _5
      }
    },
    "delete": {
      "operationId": "deleteTenantWebhook",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "Delete an endpoint and its secrets; pending deliveries to it fail. Records `webhook.deleted`.",
      "responses": {
        "204": {
          "description": "Deleted."
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": _43,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/webhooks/{id}/rotate-secret": {
    "parameters": _48,
    "post": {
      "operationId": "rotateTenantWebhookSecret",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "A new signing secret, in this response only; the old one keeps signing beside it for 24 hours.",
      "description": "Until `previous_expires_at` every delivery carries two signatures in `webhook-signature`\n(`v1,<new> v1,<old>`), so a receiver verifying with either secret accepts it. Records\n`webhook.secret_rotated` (never a secret). Not idempotent: a second rotation ends the\nfirst's overlap.\n",
      "responses": {
        "201": {
          "description": "Rotated. No `Location`: the secret is no resource of its own.",
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/WebhookSecretRotated"
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": _43,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/webhooks/{id}/test": {
    "parameters": _48,
    "post": {
      "operationId": "testTenantWebhook",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "Send a `webhook.test` event to this endpoint only; answers with its delivery.",
      "description": "The event is recorded (`webhook.test`) and delivered, signed, to this endpoint alone,\nnever by subscription; its `sequence` is 0. 409 `webhook_disabled` for a disabled endpoint.\n",
      "responses": {
        "202": {
          "description": "Queued; follow it in the endpoint's deliveries.",
          "content": _52
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": _46,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/webhooks/{id}/deliveries": {
    "parameters": _48,
    "get": {
      "operationId": "listTenantWebhookDeliveries",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "An endpoint's deliveries, newest first; status, attempts, last status code, latency, first 1 KiB of the answer.",
      "parameters": [
        _45,
        {
          "$ref": "#/components/parameters/DeliveryCursor"
        }
      ],
      "responses": {
        "200": {
          "description": "One page.",
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/WebhookDeliveryList"
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/webhooks/{id}/deliveries/{delivery_id}/retry": {
    "parameters": [
      _47,
      {
        "$ref": "#/components/parameters/DeliveryId"
      }
    ],
    "post": {
      "operationId": "retryTenantWebhookDelivery",
      "tags": [
        "tenant-plane"
      ],
      "security": _44,
      "summary": "Send a delivery again now (succeeded or failed; a pending one is already on its way).",
      "description": "One attempt at once; if it fails, the retry schedule continues from the attempts the\ndelivery has had (a delivery that had all eight fails again). 409 `webhook_disabled` for\na disabled endpoint.\n",
      "responses": {
        "202": {
          "description": "Queued.",
          "content": _52
        },
        "400": _0,
        "401": _1,
        "403": _12,
        "404": _3,
        "409": _46,
        "500": _4,
        "503": _5
      }
    }
  },
  "/{tenant}/swagger": {
    "get": {
      "operationId": "getTenantSwagger",
      "tags": [
        "tenant-plane"
      ],
      "security": [
        {
          "tenantBearer": [
            "swagger:read"
          ]
        },
        {
          "tenantApiKey": [
            "swagger:read"
          ]
        }
      ],
      "summary": "The calling tenant's own OpenAPI 3.1 document. Scope swagger:read.",
      "description": "The tenant endpoints under the name the request used for the tenant, plus the `paths`\nof the catalog entries among the tenant's `active_components` and enabled entitlements.\nNever another tenant's name or paths, nor an operator or service route; there is no\nglobal variant. Regenerated whenever the tenant, its entitlements or a catalog entry it\nuses change (each request compares a fingerprint); the ETag is that fingerprint.\n",
      "responses": {
        "200": {
          "description": "The document.",
          "headers": {
            "ETag": {
              "description": "A fingerprint of everything the document was built from.",
              "required": true,
              "schema": {
                "type": "string",
                "pattern": "^\"[A-Za-z0-9_-]{27}\"$"
              }
            }
          },
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "openapi",
                  "info",
                  "paths"
                ],
                "properties": {
                  "openapi": {
                    "type": "string",
                    "const": "3.1.0"
                  },
                  "info": {
                    "type": "object"
                  },
                  "paths": {
                    "type": "object"
                  }
                }
              }
            }
          }
        },
        "400": _0,
        "401": _1,
        "403": _2,
        "404": _3,
        "500": _4,
        "503": _5
      }
    }
  }
};

export const TENANT_COMPONENTS: Readonly<Record<string, unknown>> = {
  "headers": {
    "ETag": {
      "description": "The tenant's version, for If-Match (`\"v3\"`); the version the body shows.",
      "required": true,
      "schema": {
        "type": "string",
        "pattern": "^\"v[1-9][0-9]{0,15}\"$"
      }
    },
    "ExportDisposition": {
      "description": "`attachment; filename=\"audit-<tenant id or all>-<UTC time of the export>.<ndjson|csv>\"`.\n",
      "required": true,
      "schema": {
        "type": "string",
        "pattern": "^attachment; filename=\"audit-[a-z0-9-]+-[0-9]{8}T[0-9]{6}Z\\.(ndjson|csv)\"$"
      }
    },
    "IdempotentReplayed": {
      "description": "`true` on a replay: the first response to this `Idempotency-Key` (status, body, `ETag`\nand `Location`), answered again. Absent on the first response.\n",
      "schema": {
        "type": "string",
        "const": "true"
      }
    },
    "Location": {
      "description": "The created resource's URL, as a reference relative to the request's URL (RFC 9110\nallows one), so that it holds behind whatever path the ingress puts in front of this\nAPI (an API Gateway stage, a base path): creating a tenant answers `tenants/<id>`,\nrolling a key answers `../<new id>`.\n",
      "required": true,
      "schema": {
        "type": "string"
      }
    },
    "WWWAuthenticate": {
      "description": "The scheme to authenticate with.",
      "required": true,
      "schema": {
        "type": "string",
        "const": "Bearer"
      }
    }
  },
  "parameters": {
    "DeliveryCursor": {
      "in": "query",
      "name": "cursor",
      "description": "The `next_cursor` of the previous page (the last delivery's id).",
      "schema": _53
    },
    "DeliveryId": {
      "in": "path",
      "name": "delivery_id",
      "required": true,
      "description": "A delivery is named by its event's id (one delivery per event and endpoint).",
      "schema": _53
    },
    "ExportFormat": {
      "in": "query",
      "name": "format",
      "description": "`ndjson` (the default, `application/x-ndjson`) or `csv` (`text/csv`, RFC 4180).",
      "required": false,
      "schema": {
        "type": "string",
        "enum": [
          "ndjson",
          "csv"
        ],
        "default": "ndjson"
      }
    },
    "IdempotencyKey": {
      "in": "header",
      "name": "Idempotency-Key",
      "required": false,
      "description": "1-255 printable ASCII characters, unique per intended create; sent more than once, 400.",
      "schema": _17
    },
    "WebhookCursor": _37,
    "WebhookId": _41,
    "WebhookLimit": {
      "in": "query",
      "name": "limit",
      "schema": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 50
      }
    }
  },
  "responses": {
    "BadRequest": {
      "description": "The request is malformed or fails validation (`invalid_input`, the message names the\nfield, parameter or header). Besides each operation's own rules: a body that is not\nUTF-8, a key sent twice in one JSON object, a NUL in a body string or key or in a query\nvalue, a query parameter sent twice, the tenant header or `Idempotency-Key` sent twice,\na malformed `If-Match`.\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "invalid_input"
                ]
              }
            }
          }
        }
      }
    },
    "Conflict": {
      "description": "Concurrent writers kept the change from committing (`conflict`); read again and retry.",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "conflict"
                ]
              }
            }
          }
        }
      }
    },
    "Forbidden": {
      "description": "The key is valid but may not do this: no name the request sends is the key's tenant\n(`forbidden`; the same status and body whether the named tenant exists or not), the\nkey's tenant is not among the allowed tenants (`tenant_not_allowed`), or the key lacks\nthe scope (`scope_missing`).\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "forbidden",
                  "tenant_not_allowed",
                  "scope_missing"
                ]
              }
            }
          }
        }
      }
    },
    "ForbiddenGrant": {
      "description": "As `ForbiddenWrite`, or the new key would get a scope the calling key does not hold\n(`scope_not_held`).\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "forbidden",
                  "tenant_not_allowed",
                  "scope_missing",
                  "tenant_frozen",
                  "scope_not_held"
                ]
              }
            }
          }
        }
      }
    },
    "ForbiddenWrite": {
      "description": "As `Forbidden`, or the tenant is frozen and the request writes (`tenant_frozen`).",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "forbidden",
                  "tenant_not_allowed",
                  "scope_missing",
                  "tenant_frozen"
                ]
              }
            }
          }
        }
      }
    },
    "InactiveTenantConflict": {
      "description": "Refused as things stand:\n- `tenant_inactive`: the tenant is archived.\n- `conflict`: concurrent writers kept the change from committing; read again and retry.\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "tenant_inactive",
                  "conflict"
                ]
              }
            }
          }
        }
      }
    },
    "InternalError": {
      "description": "Anything unexpected (`internal`). The body says nothing more (`internal error`); the\ndetails go to the log, under the same `request_id`.\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "internal"
                ]
              }
            }
          }
        }
      }
    },
    "KeyRollConflict": {
      "description": "Refused as things stand:\n- `api_key_unusable`: the key is revoked or expired.\n- `tenant_inactive`: the key's tenant is archived.\n- `conflict`: the key was revoked or rolled by another request meanwhile, or concurrent writers kept the change from committing; read again.\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "api_key_unusable",
                  "tenant_inactive",
                  "conflict"
                ]
              }
            }
          }
        }
      }
    },
    "NotFound": {
      "description": "No such resource (`not_found`), or the API is off (then the body is that of an unknown route).",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "not_found"
                ]
              }
            }
          }
        }
      }
    },
    "PayloadTooLarge": {
      "description": "The body is larger than the limit (64 KiB by default; `payload_too_large`).",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "payload_too_large"
                ]
              }
            }
          }
        }
      }
    },
    "ServiceUnavailable": {
      "description": "A dependency (DynamoDB, Parameter Store, Secrets Manager) throttled, failed or could not\nbe reached, after the SDK's own retries (`service_unavailable`): retry later. A create or\nchange may have committed before its answer was lost: retry a create with the same\n`Idempotency-Key`, a change with `If-Match`, and read before deciding otherwise.\nAlso an audited write (an append, a batch, any change) that lost the race for its audit\nchain's head on every attempt within `TENANT_REGISTRY_WRITE_BUDGET_MS`: it committed\nnothing, says so in its message, and carries `Retry-After`.\n",
      "headers": {
        "Retry-After": {
          "description": "Seconds to wait before retrying; sent when a busy audit chain ran out the write budget.",
          "schema": {
            "type": "string",
            "pattern": "^[0-9]+$"
          }
        }
      },
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "service_unavailable"
                ]
              }
            }
          }
        }
      }
    },
    "TenantBadRequest": {
      "description": "As `BadRequest` (`invalid_input`), and how the request names its tenant: none named\nwhere one is required (`tenant_required`, the message says what to send), or the path,\nthe tenant header and `tenant_id` disagreeing: some name the key's tenant, some do not\n(`tenant_conflict`).\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "invalid_input",
                  "tenant_required",
                  "tenant_conflict"
                ]
              }
            }
          }
        }
      }
    },
    "TenantUnauthorized": {
      "description": "No tenant API key, or not a valid one (malformed, unknown, revoked, expired, of an archived tenant, or the admin token), or `Authorization` or `X-Api-Key` sent more than once (`unauthorized`).",
      "headers": {
        "WWW-Authenticate": {
          "$ref": "#/components/headers/WWWAuthenticate"
        }
      },
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "unauthorized"
                ]
              }
            }
          }
        }
      }
    },
    "TrialConflict": {
      "description": "Refused as things stand:\n- `tenant_inactive`: the tenant is frozen or archived.\n- `trial_unavailable`: the product offers no trial.\n- `plan_not_eligible`: the tenant's plan is not among the product's `plans_required`.\n- `trial_used`: the tenant has had a trial of the product (ever, even if it expired or was revoked).\n- `already_entitled`: the tenant holds a live entitlement to the product (never cut down to a trial).\n- `conflict`: concurrent writers kept the change from committing; read again and retry.\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "tenant_inactive",
                  "trial_unavailable",
                  "plan_not_eligible",
                  "trial_used",
                  "already_entitled",
                  "conflict"
                ]
              }
            }
          }
        }
      }
    },
    "Unprocessable": {
      "description": "The Idempotency-Key was used with a different body (`idempotency_key_reused`).",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "idempotency_key_reused"
                ]
              }
            }
          }
        }
      }
    },
    "UnsupportedMediaType": {
      "description": "A body that is not application/json (`unsupported_media_type`).",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "unsupported_media_type"
                ]
              }
            }
          }
        }
      }
    },
    "WebhookConflict": {
      "description": "Refused as things stand:\n- `webhook_limit`: the owner (the tenant, or the global set) has as many endpoints as it may.\n- `webhook_disabled`: the endpoint is disabled (enable it with PATCH first).\n- `conflict`: concurrent writers kept the change from committing; read again and retry.\n",
      "content": {
        "application/json": {
          "schema": {
            "allOf": _33,
            "properties": {
              "error": {
                "enum": [
                  "webhook_limit",
                  "webhook_disabled",
                  "conflict"
                ]
              }
            }
          }
        }
      }
    }
  },
  "schemas": {
    "APIKey": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "id",
        "tenant_id",
        "name",
        "scopes",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
        "expires_at"
      ],
      "properties": {
        "id": _23,
        "tenant_id": _23,
        "product": {
          "type": "string"
        },
        "name": {
          "type": "string"
        },
        "scopes": {
          "type": "array",
          "items": _54
        },
        "prefix": {
          "type": "string",
          "description": "The leading part of the plaintext, for UIs."
        },
        "created_by": {
          "type": "string"
        },
        "rolled_from": {
          "type": "string",
          "format": "uuid",
          "description": "The key this one was rolled from."
        },
        "last_used_at": {
          "type": [
            "string",
            "null"
          ],
          "format": "date-time",
          "description": "Updated at most once a minute."
        },
        "revoked_at": _55,
        "expires_at": _55,
        "created_at": _25
      }
    },
    "APIKeyCreated": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "api_key",
        "plaintext",
        "warning"
      ],
      "properties": {
        "api_key": _38,
        "plaintext": {
          "type": "string"
        },
        "warning": {
          "type": "string"
        }
      }
    },
    "APIKeyRolled": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "api_key",
        "plaintext",
        "warning",
        "previous"
      ],
      "properties": {
        "api_key": _38,
        "plaintext": {
          "type": "string"
        },
        "warning": {
          "type": "string"
        },
        "previous": {
          "type": "object",
          "additionalProperties": false,
          "required": [
            "id",
            "expires_at"
          ],
          "description": "The rolled key and when it stops verifying.",
          "properties": {
            "id": _23,
            "expires_at": _25
          }
        }
      }
    },
    "AuditOrigin": {
      "type": "string",
      "enum": [
        "operator",
        "service",
        "tenant",
        "system"
      ],
      "description": "Where an event came from, set by the server inside the hash: the plane of the credential\n(`operator`, `service`, `tenant`), or `system` for what the registry records on its own\n(Keycloak's answer to a create). Absent on events stored before it existed.\n"
    },
    "Error": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "error",
        "message"
      ],
      "properties": {
        "error": {
          "type": "string",
          "examples": [
            "invalid_input"
          ]
        },
        "message": {
          "type": "string"
        },
        "request_id": {
          "type": "string"
        }
      }
    },
    "Identifier": {
      "type": "string",
      "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"
    },
    "Scope": {
      "type": "string",
      "enum": [
        "profile:read",
        "entitlements:read",
        "audit:read",
        "audit:write",
        "catalog:request",
        "keys:manage",
        "swagger:read",
        "webhooks:manage"
      ]
    },
    "Settings": {
      "type": "object",
      "maxProperties": 100,
      "propertyNames": _56,
      "additionalProperties": _57,
      "description": "Free-form JSON (tenant `settings`, an entitlement's `config`, an audit event's\n`metadata`), stored and returned exactly as sent; `settings` is replaced whole by a PATCH.\nThe same limits at every level: at most 100 keys in any one object, keys of 1-64\ncharacters and never `__proto__`, `constructor` or `prototype`. Beyond what a schema can\nsay: no value deeper than 8 keys or indexes (`{\"a\":{\"b\":[1]}}` holds 1 at depth 3), at\nmost 1,000 keys in all its objects together, at most 16,384 bytes as JSON (UTF-8), finite\nnumbers. A 400 names where inside the value a limit is crossed\n(`body.settings.a.b must have at most 100 keys (has 101)`).\n"
    },
    "SettingsKey": {
      "type": "string",
      "minLength": 1,
      "maxLength": 64,
      "not": {
        "enum": [
          "__proto__",
          "constructor",
          "prototype"
        ]
      }
    },
    "SettingsValue": {
      "description": "Any JSON value; an object in it has the limits of `Settings`.",
      "type": [
        "object",
        "array",
        "string",
        "number",
        "boolean",
        "null"
      ],
      "maxProperties": 100,
      "propertyNames": _56,
      "additionalProperties": _57,
      "items": _57
    },
    "TenantAPIKeyCreate": {
      "type": "object",
      "additionalProperties": false,
      "description": "`name` is required, from this body or the query string.",
      "properties": {
        "name": {
          "type": "string",
          "minLength": 1,
          "maxLength": 100
        },
        "product": _8,
        "scopes": {
          "type": "array",
          "minItems": 1,
          "maxItems": 7,
          "uniqueItems": true,
          "items": _54,
          "description": "Only scopes the calling key holds; without scopes, the default read scopes it holds."
        },
        "expires_at": {
          "type": "string",
          "format": "date-time",
          "description": "In the future and at most the maximum key lifetime ahead (default 365 days), which is also the default."
        }
      }
    },
    "TenantAPIKeyRoll": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "overlap_seconds": {
          "type": "integer",
          "minimum": 0,
          "maximum": 604800,
          "default": 86400,
          "description": "How long the old key keeps verifying; 0 ends it now."
        },
        "expires_at": {
          "type": "string",
          "format": "date-time",
          "description": "The new key's expiry, as on create."
        }
      }
    },
    "TenantAuditAppend": {
      "type": "object",
      "additionalProperties": false,
      "description": "`action` is required, from this body or the query string.",
      "properties": {
        "project_id": _23,
        "actor_id": _17,
        "actor_name": _58,
        "actor_type": _59,
        "action": _19,
        "target_id": _58,
        "target_type": _59,
        "target_name": _58,
        "product": _8,
        "metadata": {
          "$ref": "#/components/schemas/Settings"
        }
      }
    },
    "TenantAuditBatch": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "events"
      ],
      "properties": {
        "events": {
          "type": "array",
          "minItems": 1,
          "maxItems": 99,
          "items": _32
        }
      }
    },
    "TenantAuditEvent": {
      "type": "object",
      "additionalProperties": false,
      "description": "An event as the tenant whose chain it is on sees it (the tenant projection, made on read;\nthe stored event and its hash are unchanged). Registry events (`tenant.*`, `alias.*`,\n`api_key.*`, `entitlement.*`, `catalog.*`, `trial.*`, `keycloak.*`) show the metadata\nkeys their type declares, each only if the tenant's profile shows what it holds (so\nnever `cancel_reason`, `erp_customer_id` or `sales_owner`, and `tenant.updated` lists\nonly the `fields` the profile shows); `keycloak.provision_failed` shows only the\norganization. `source_ip`, `user_agent` and `metadata.request_id` appear only on events\nthe tenant caused (`origin: tenant`). Products' own event types show their metadata as\nwritten. `redacted: true` marks a view that withholds something: its hash covers more\nthan is shown (its links still verify).\n",
      "required": [
        "id",
        "action",
        "created_at",
        "prev_hash",
        "hash"
      ],
      "properties": {
        "id": {
          "type": "integer"
        },
        "tenant_id": _23,
        "project_id": _23,
        "actor_id": {
          "type": "string"
        },
        "actor_name": {
          "type": "string"
        },
        "actor_type": {
          "type": "string"
        },
        "action": {
          "type": "string"
        },
        "target_id": {
          "type": "string"
        },
        "target_type": {
          "type": "string"
        },
        "target_name": {
          "type": "string"
        },
        "product": {
          "type": "string"
        },
        "metadata": _60,
        "source_ip": {
          "type": "string"
        },
        "user_agent": {
          "type": "string"
        },
        "origin": _21,
        "key_id": _23,
        "created_at": _25,
        "prev_hash": {
          "type": "string"
        },
        "hash": {
          "type": "string"
        },
        "redacted": {
          "type": "boolean",
          "enum": [
            true
          ]
        }
      }
    },
    "TenantCatalogRequest": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "product": _8
      },
      "description": "`product` is required, from this body or the query string."
    },
    "TenantProduct": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "tenant_id",
        "product",
        "enabled",
        "config",
        "trial",
        "created_at",
        "updated_at",
        "expires_at"
      ],
      "properties": {
        "tenant_id": _23,
        "product": {
          "type": "string"
        },
        "enabled": {
          "type": "boolean",
          "description": "False once revoked or expired."
        },
        "config": _60,
        "trial": {
          "type": "boolean"
        },
        "expires_at": _55,
        "created_at": _25,
        "updated_at": _25
      }
    },
    "TenantProfile": {
      "type": "object",
      "additionalProperties": false,
      "description": "What a tenant sees of itself; the operators' sales and billing references stay on the operator plane.",
      "required": [
        "id",
        "slug",
        "name",
        "status",
        "kind",
        "plan",
        "trial_ends_at",
        "contract_start",
        "contract_end",
        "active_components",
        "active_record_types",
        "settings",
        "aliases",
        "version",
        "created_at",
        "updated_at"
      ],
      "properties": {
        "id": _23,
        "slug": {
          "type": "string",
          "description": "The primary slug."
        },
        "name": {
          "type": "string"
        },
        "status": {
          "$ref": "#/components/schemas/TenantStatus"
        },
        "kind": {
          "type": "string",
          "enum": [
            "customer",
            "demo"
          ]
        },
        "plan": {
          "type": "string"
        },
        "trial_ends_at": _55,
        "contract_start": _61,
        "contract_end": _61,
        "cancel_at_period_end": {
          "type": "boolean"
        },
        "active_components": _62,
        "active_record_types": _62,
        "settings": _60,
        "aliases": _62,
        "audit_retention_days": {
          "type": "integer",
          "description": "Days its audit events are kept; absent",
          "the default.": null
        },
        "version": {
          "type": "integer",
          "minimum": 1
        },
        "created_at": _25,
        "updated_at": _25
      }
    },
    "TenantStatus": {
      "type": "string",
      "enum": [
        "demo",
        "trial",
        "active",
        "frozen",
        "archived"
      ]
    },
    "TenantWebhookCreate": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "url",
        "events"
      ],
      "properties": {
        "url": _63,
        "events": {
          "oneOf": [
            _64,
            {
              "type": "string",
              "maxLength": 4096,
              "description": "Comma-separated (from the query string)."
            }
          ]
        },
        "description": {
          "type": "string",
          "minLength": 1,
          "maxLength": 500
        }
      }
    },
    "Webhook": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "id",
        "url",
        "events",
        "status",
        "created_at",
        "updated_at"
      ],
      "properties": {
        "id": _23,
        "url": {
          "type": "string",
          "maxLength": 2048
        },
        "events": _64,
        "tenant_id": {
          "type": "string",
          "format": "uuid",
          "description": "The tenant whose endpoint it is; absent: global."
        },
        "description": {
          "type": "string",
          "maxLength": 500
        },
        "status": _65,
        "disabled_reason": {
          "type": "string",
          "enum": [
            "gone",
            "failing"
          ],
          "description": "Why the registry disabled it: the receiver answered 410, or every delivery failed for 5 days."
        },
        "failing_since": {
          "type": "string",
          "format": "date-time",
          "description": "The first failed attempt since the last success."
        },
        "created_at": _25,
        "updated_at": _25
      }
    },
    "WebhookCreated": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "webhook",
        "secret",
        "warning"
      ],
      "properties": {
        "webhook": _49,
        "secret": {
          "type": "string",
          "pattern": "^whsec_[A-Za-z0-9+/]{43}=$",
          "description": "The signing secret (Standard Webhooks), shown only here."
        },
        "warning": {
          "type": "string"
        }
      }
    },
    "WebhookDelivery": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "id",
        "endpoint_id",
        "event_id",
        "type",
        "status",
        "attempts",
        "created_at",
        "updated_at"
      ],
      "properties": {
        "id": {
          "type": "string",
          "pattern": "^[0-9]{1,16}$",
          "description": "The event's id: one delivery per event and endpoint."
        },
        "endpoint_id": _23,
        "event_id": _53,
        "type": {
          "type": "string"
        },
        "status": {
          "type": "string",
          "enum": [
            "pending",
            "succeeded",
            "failed"
          ]
        },
        "attempts": _66,
        "last_status_code": {
          "type": "integer"
        },
        "last_error": {
          "type": "string",
          "description": "Why the last attempt got no status: timeout, address_refused, a DNS or socket error, endpoint_disabled, endpoint_deleted."
        },
        "latency_ms": _66,
        "response_body": {
          "type": "string",
          "description": "The first 1 KiB of the last answer."
        },
        "next_attempt_at": _25,
        "created_at": _25,
        "updated_at": _25
      }
    },
    "WebhookDeliveryList": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "items"
      ],
      "properties": {
        "items": {
          "type": "array",
          "items": _51
        },
        "next_cursor": {
          "type": "string"
        }
      }
    },
    "WebhookEventTypes": {
      "type": "array",
      "description": "Registry event types, products' own action names, or `[\"*\"]` alone (every registry type).",
      "minItems": 1,
      "maxItems": 50,
      "uniqueItems": true,
      "items": _19
    },
    "WebhookList": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "items"
      ],
      "properties": {
        "items": {
          "type": "array",
          "items": _49
        },
        "next_cursor": {
          "type": "string"
        }
      }
    },
    "WebhookSecretRotated": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "secret",
        "previous_expires_at",
        "warning"
      ],
      "properties": {
        "secret": {
          "type": "string",
          "pattern": "^whsec_[A-Za-z0-9+/]{43}=$"
        },
        "previous_expires_at": {
          "type": "string",
          "format": "date-time",
          "description": "Until then deliveries are signed with both secrets."
        },
        "warning": {
          "type": "string"
        }
      }
    },
    "WebhookUpdate": {
      "type": "object",
      "additionalProperties": false,
      "minProperties": 1,
      "properties": {
        "url": _63,
        "events": _64,
        "description": {
          "type": [
            "string",
            "null"
          ],
          "minLength": 1,
          "maxLength": 500
        },
        "status": _65
      }
    }
  },
  "securitySchemes": {
    "tenantApiKey": {
      "type": "apiKey",
      "in": "header",
      "name": "X-Api-Key",
      "description": "A tenant API key in the `X-Api-Key` header."
    },
    "tenantBearer": {
      "type": "http",
      "scheme": "bearer",
      "description": "A tenant API key (`trk_...`) as `Authorization: Bearer <key>`. The admin token is not a tenant key."
    }
  }
};
