// Calls DMS Enterprise RegisterUser (2018-11-01, RPC) through the Darabonba OpenAPI core for Node.js
// (@alicloud/openapi-client callApi, ACS3-HMAC-SHA256), printing one JSON object with each call's status and
// body, or the error the SDK raised. tests/integration/test_mns_node_sdk.py checks it against the emulator.
//
//   node dms_register_user.mjs --uid UID [--nick NICK] [--roles USER,DBA]
//
// Endpoint and credentials come from the environment the local cloud prints: DMS_ENTERPRISE_ENDPOINT,
// ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN (optional),
// ALIBABA_CLOUD_REGION_ID.

import { parseArgs } from "node:util";

import openapi from "@alicloud/openapi-client";
import util from "@alicloud/tea-util";

const { default: OpenApiClient, Config, OpenApiRequest, Params } = openapi;
const { RuntimeOptions } = util;

const { values: args } = parseArgs({
  options: {
    uid: { type: "string", default: "20240001" },
    nick: { type: "string", default: "Nodé 张三 (ops) & co. *~!'+/=?%" },
    roles: { type: "string", default: "USER,DBA" },
  },
});

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

const endpoint = new URL(required("DMS_ENTERPRISE_ENDPOINT"));

function client(secret) {
  return new OpenApiClient(
    new Config({
      accessKeyId: required("ALIBABA_CLOUD_ACCESS_KEY_ID"),
      accessKeySecret: secret,
      securityToken: process.env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined,
      endpoint: endpoint.host,
      protocol: endpoint.protocol.replace(":", ""),
      regionId: process.env.ALIBABA_CLOUD_REGION_ID || "cn-hangzhou",
      readTimeout: 5000,
      connectTimeout: 2000,
    }),
  );
}

const params = new Params({
  action: "RegisterUser",
  version: "2018-11-01",
  protocol: "HTTPS",
  pathname: "/",
  method: "POST",
  authType: "AK",
  style: "RPC",
  reqBodyType: "formData",
  bodyType: "json",
});

const calls = {};

async function call(name, sdk, query) {
  try {
    const answer = await sdk.callApi(params, new OpenApiRequest({ query }), new RuntimeOptions({ autoretry: false }));
    calls[name] = { statusCode: answer.statusCode, body: answer.body };
  } catch (error) {
    calls[name] = { error: error.code, statusCode: error.data?.statusCode ?? null, message: error.message };
  }
}

const query = { Uid: args.uid, UserNick: args.nick, RoleNames: args.roles };
const good = client(required("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
await call("register", good, query);
await call("registerAgain", good, query);
await call("wrongSecret", client("not-the-secret"), { ...query, Uid: "20249999" });

process.stdout.write(JSON.stringify({ sdk: "@alicloud/openapi-client", calls }) + "\n");
