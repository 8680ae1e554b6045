#include "openapidocument.h"

namespace mf::api {

namespace {

// Kept as the JSON it is served as: a reader of this file reads the API's contract directly.
constexpr char Document[] = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "ModelFloat local API",
    "version": "1",
    "description": "Floating models on this computer: list and describe them, read their files and chunks (every byte verified against its chunk's CID before it is sent), upload files, and queue and follow floats, restores and verifications. Bound to 127.0.0.1; every request carries the token that `modelfloat-cli serve --print-token` shows."
  },
  "servers": [{"url": "http://127.0.0.1:8765"}],
  "security": [{"bearer": []}],
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "model": {"name": "model", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The model's name; a '/' in it is sent as %2F."},
      "path": {"name": "path", "in": "path", "required": true, "schema": {"type": "string"}, "description": "A file's path inside the model ('/'-separated)."},
      "repo": {"name": "repo", "in": "path", "required": true, "schema": {"type": "string"}, "description": "A Hub repo id: 'org/name' for a model imported from the Hub, 'local/<name>' for any model."},
      "revision": {"name": "revision", "in": "path", "required": true, "schema": {"type": "string"}, "description": "'main', 'HEAD' or the model's commit."},
      "range": {"name": "Range", "in": "header", "schema": {"type": "string"}, "description": "One range: bytes=A-B, bytes=A- or bytes=-N."}
    },
    "responses": {
      "error": {"description": "What is wrong, in plain words.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "bytes": {"description": "The bytes (206 with Content-Range for a range). ETag is the file's SHA-256. An answer cut short of its Content-Length means no good copy of a chunk could be read: never a wrong byte.", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    },
    "schemas": {
      "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
      "ModelList": {"type": "object", "properties": {"models": {"type": "array", "items": {"type": "object"}}, "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}}},
      "Transfer": {"type": "object", "properties": {"id": {"type": "integer"}, "kind": {"type": "string", "enum": ["float", "restore", "verify", "remove", "import", "materialize", "repair", "drain", "scrub"]}, "state": {"type": "string", "enum": ["queued", "running", "paused", "done", "degraded", "failed", "cancelled"]}, "title": {"type": "string"}, "modelId": {"type": "integer"}, "doneBytes": {"type": "integer"}, "totalBytes": {"type": "integer"}, "bytesPerSecond": {"type": "integer"}, "etaSeconds": {"type": "integer", "description": "-1: unknown"}, "error": {"type": "string"}, "warnings": {"type": "array", "items": {"type": "string"}}, "stage": {"type": "string"}, "background": {"type": "boolean"}}},
      "Queued": {"type": "object", "properties": {"transfer": {"type": "integer"}, "info": {"$ref": "#/components/schemas/Transfer"}}}
    }
  },
  "paths": {
    "/api/v1/models": {"get": {"summary": "Models whose name contains q, a page of them", "parameters": [
      {"name": "q", "in": "query", "schema": {"type": "string"}},
      {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
      {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}],
      "responses": {"200": {"description": "A page of models, as `list --json` gives each", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}}, "400": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/models/{model}": {"get": {"summary": "A model as `info --json` describes it: files, formats, health, copies, CIDs", "parameters": [{"$ref": "#/components/parameters/model"}],
      "responses": {"200": {"description": "The model", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": {"$ref": "#/components/responses/error"}}},
      "put": {"summary": "Upload a folder: the body is the files X-Model-Files lists (PATH:SIZE, comma-separated, each path percent-encoded, the sizes adding up to the Content-Length), one after another, floated as one new model of those files by their paths, all or nothing: a body cut off, or a file refused, leaves no model", "parameters": [{"$ref": "#/components/parameters/model"}, {"name": "X-Model-Files", "in": "header", "required": true, "schema": {"type": "string"}}], "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
      "responses": {"201": {"description": "Floated: {transfer, model, files: [{path, size, sha256}], warnings}", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": {"$ref": "#/components/responses/error"}, "409": {"$ref": "#/components/responses/error"}, "411": {"$ref": "#/components/responses/error"}}},
      "delete": {"summary": "Remove the model as `modelfloat-cli rm` does: chunks no other model (here or in another vault sharing the providers) uses are freed", "parameters": [{"$ref": "#/components/parameters/model"}],
      "responses": {"200": {"description": "Removed: {removed, chunksFreed, bytesFreed, warnings}", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": {"$ref": "#/components/responses/error"}, "409": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/models/{model}/files/{path}": {"get": {"summary": "A file's bytes, with HTTP Range", "parameters": [{"$ref": "#/components/parameters/model"}, {"$ref": "#/components/parameters/path"}, {"$ref": "#/components/parameters/range"}],
      "responses": {"200": {"$ref": "#/components/responses/bytes"}, "206": {"$ref": "#/components/responses/bytes"}, "404": {"$ref": "#/components/responses/error"}, "409": {"$ref": "#/components/responses/error"}, "416": {"$ref": "#/components/responses/error"}}},
      "put": {"summary": "Upload: the body (with Content-Length; Expect: 100-continue is answered) floated as a new model of this one file as it arrives, never held whole in memory or on disk. A body cut off leaves nothing: the model it began is removed.", "parameters": [{"$ref": "#/components/parameters/model"}, {"$ref": "#/components/parameters/path"}], "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
      "responses": {"201": {"description": "Floated: {transfer, model, path, size, sha256, warnings}", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": {"$ref": "#/components/responses/error"}, "409": {"$ref": "#/components/responses/error"}, "411": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/models/{model}/restore": {"post": {"summary": "Queue a restore of the model into a folder of this computer ({destination, overwrite}); only from programs on this computer", "parameters": [{"$ref": "#/components/parameters/model"}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"destination": {"type": "string"}, "overwrite": {"type": "boolean"}}}}}},
      "responses": {"202": {"description": "Queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queued"}}}}, "400": {"$ref": "#/components/responses/error"}, "403": {"$ref": "#/components/responses/error"}, "404": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/models/{model}/verify": {"post": {"summary": "Queue a verification of every copy of the model's chunks", "parameters": [{"$ref": "#/components/parameters/model"}],
      "responses": {"202": {"description": "Queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queued"}}}}, "404": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/floats": {"post": {"summary": "Queue a float of files or folders of this computer ({paths: [absolute], model, replicas}); only from programs on this computer", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"paths": {"type": "array", "items": {"type": "string"}}, "model": {"type": "string"}, "replicas": {"type": "integer"}}}}}},
      "responses": {"202": {"description": "Queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queued"}}}}, "400": {"$ref": "#/components/responses/error"}, "403": {"$ref": "#/components/responses/error"}, "413": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/transfers": {"get": {"summary": "Every transfer of the queue, with progress, rate and ETA",
      "responses": {"200": {"description": "{transfers: [...]}", "content": {"application/json": {"schema": {"type": "object", "properties": {"transfers": {"type": "array", "items": {"$ref": "#/components/schemas/Transfer"}}}}}}}}}},
    "/api/v1/transfers/{id}": {"get": {"summary": "One transfer", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "responses": {"200": {"description": "The transfer", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Transfer"}}}}, "404": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/transfers/{id}/{action}": {"post": {"summary": "Pause, resume or cancel a transfer (an upload cannot be paused)", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "action", "in": "path", "required": true, "schema": {"type": "string", "enum": ["pause", "resume", "cancel"]}}],
      "responses": {"202": {"description": "Asked", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queued"}}}}, "404": {"$ref": "#/components/responses/error"}, "409": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/events": {"get": {"summary": "Server-Sent Events: every transfer as it is, then event 'transfer' (its JSON) at each change and 'removed' ({id})",
      "responses": {"200": {"description": "An event stream that lasts until the client closes it", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}}},
    "/api/v1/session/links": {"post": {"summary": "A one-time link that signs a browser in to the web page (with the token only; GET/DELETE /api/v1/session are the browser's own, by its cookie)", "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"lifetimeSeconds": {"type": "integer", "minimum": 1, "maximum": 3600}}}}}},
      "responses": {"201": {"description": "The link", "content": {"application/json": {"schema": {"type": "object", "properties": {"link": {"type": "string"}, "lifetimeSeconds": {"type": "integer"}}}}}}, "400": {"$ref": "#/components/responses/error"}, "403": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/chunks/{cid}": {"get": {"summary": "One chunk's bytes, verified against its CID", "parameters": [{"name": "cid", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "The chunk", "content": {"application/vnd.ipld.raw": {"schema": {"type": "string", "format": "binary"}}}}, "404": {"$ref": "#/components/responses/error"}}}},
    "/ipfs/{cid}": {"get": {"summary": "A chunk as a raw block, in the IPFS trustless gateway's form (?format=raw or Accept: application/vnd.ipld.raw)", "parameters": [{"name": "cid", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["raw"]}}],
      "responses": {"200": {"description": "The block", "content": {"application/vnd.ipld.raw": {"schema": {"type": "string", "format": "binary"}}}}, "404": {"$ref": "#/components/responses/error"}, "406": {"$ref": "#/components/responses/error"}}}},
    "/api/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/api/models/{repo}": {"get": {"summary": "Hugging Face Hub: a model's info (sha, siblings; ?blobs=true adds sizes and LFS oids)", "parameters": [{"$ref": "#/components/parameters/repo"}],
      "responses": {"200": {"description": "The model's info", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": {"$ref": "#/components/responses/error"}}}},
    "/api/models/{repo}/revision/{revision}": {"get": {"summary": "Hugging Face Hub: a model's info at a revision", "parameters": [{"$ref": "#/components/parameters/repo"}, {"$ref": "#/components/parameters/revision"}],
      "responses": {"200": {"description": "The model's info", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": {"$ref": "#/components/responses/error"}}}},
    "/api/models/{repo}/tree/{revision}": {"get": {"summary": "Hugging Face Hub: the files of a revision (?recursive=true, ?expand=true adds lastCommit); weight files and files over 10 MiB as Git LFS files, others by their git blob id. Pages of ?limit= (1-1000, default 1000) entries, the next named by a Link rel=next header", "parameters": [{"$ref": "#/components/parameters/repo"}, {"$ref": "#/components/parameters/revision"}],
      "responses": {"200": {"description": "The entries, one page", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}, "400": {"$ref": "#/components/responses/error"}, "404": {"$ref": "#/components/responses/error"}}}},
    "/api/models/{repo}/refs": {"get": {"summary": "Hugging Face Hub: the branches (main, at the model's commit)", "parameters": [{"$ref": "#/components/parameters/repo"}],
      "responses": {"200": {"description": "{branches: [{name, ref, targetCommit}], converts: [], tags: []}", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": {"$ref": "#/components/responses/error"}}}},
    "/api/models/{repo}/paths-info/{revision}": {"post": {"summary": "Hugging Face Hub: the entries of the paths asked for, as JSON {paths: [...], expand: bool} or as a form (paths=...&expand=true); those that do not exist are left out", "parameters": [{"$ref": "#/components/parameters/repo"}, {"$ref": "#/components/parameters/revision"}],
      "responses": {"200": {"description": "The entries", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}, "400": {"$ref": "#/components/responses/error"}, "404": {"$ref": "#/components/responses/error"}}}},
    "/{repo}/raw/{revision}/{path}": {"get": {"summary": "Hugging Face Hub: what git holds for a file: a small file's bytes (with Range), a Git LFS file's pointer", "parameters": [{"$ref": "#/components/parameters/repo"}, {"$ref": "#/components/parameters/revision"}, {"$ref": "#/components/parameters/path"}],
      "responses": {"200": {"$ref": "#/components/responses/bytes"}, "206": {"$ref": "#/components/responses/bytes"}, "404": {"$ref": "#/components/responses/error"}}}},
    "/{repo}/resolve/{revision}/{path}": {"get": {"summary": "Hugging Face Hub: a file's bytes, with Range and X-Repo-Commit; a Git LFS file's ETag and X-Linked-Etag are its SHA-256 (and X-Linked-Size its size), any other's ETag its git blob id", "parameters": [{"$ref": "#/components/parameters/repo"}, {"$ref": "#/components/parameters/revision"}, {"$ref": "#/components/parameters/path"}, {"$ref": "#/components/parameters/range"}],
      "responses": {"200": {"$ref": "#/components/responses/bytes"}, "206": {"$ref": "#/components/responses/bytes"}, "404": {"$ref": "#/components/responses/error"}, "416": {"$ref": "#/components/responses/error"}}}}
  }
}
)json";

} // namespace

QByteArray openApiDocument()
{
    return QByteArray::fromRawData(Document, sizeof(Document) - 1);
}

} // namespace mf::api
