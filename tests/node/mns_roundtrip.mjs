// Drives the official Node.js MNS SDK (@alicloud/mns) through queues, messages and a topic, printing one JSON
// object: every step's status code, body and headers, or the error the SDK raised. It asserts nothing itself;
// tests/integration/test_mns_node_sdk.py reads the result and checks it against the emulator's state.
//
//   node mns_roundtrip.mjs [--queue NAME] [--topic NAME] [--fanout-queue NAME]
//
// Endpoint and credentials come from the environment the local cloud prints: MNS_ENDPOINT,
// ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN (optional),
// LOCALCLOUD_ACCOUNT_ID. The topic and its subscription to the fan-out queue must exist already: this SDK
// leaves subscribe() unimplemented.

import { parseArgs } from "node:util";

import MNSClient from "@alicloud/mns";

const { values: args } = parseArgs({
  options: {
    queue: { type: "string", default: "node-q1" },
    topic: { type: "string", default: "node-t1" },
    "fanout-queue": { type: "string", default: "node-fanout" },
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

const client = new MNSClient(process.env.LOCALCLOUD_ACCOUNT_ID || "1234567890123456", {
  endpoint: required("MNS_ENDPOINT"),
  accessKeyId: required("ALIBABA_CLOUD_ACCESS_KEY_ID"),
  accessKeySecret: required("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
  securityToken: process.env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined,
  readTimeout: 10000,
  connectTimeout: 5000,
});

const steps = {};

// Runs one SDK call; keeps {code, headers, body} or {error, message} under `name` and returns the answer.
async function step(name, call) {
  try {
    const answer = await call();
    steps[name] = { code: answer.code, headers: answer.headers, body: answer.body ?? null };
    return answer;
  } catch (error) {
    steps[name] = { error: error.name, message: error.message };
    return null;
  }
}

const asList = (value) => (value == null ? [] : Array.isArray(value) ? value : [value]);
const queue = args.queue;

// Queues
await step("createQueue", () => client.createQueue(queue, { VisibilityTimeout: 30 }));
await step("createQueueAgain", () => client.createQueue(queue, { VisibilityTimeout: 30 }));
await step("setQueueAttributes", () => client.setQueueAttributes(queue, { VisibilityTimeout: 45 }));
await step("getQueueAttributes", () => client.getQueueAttributes(queue));
await step("listQueue", () => client.listQueue("", 10, queue));

// One message: send, peek, receive, change its visibility with this SDK's spelling
// (?receiptHandle=…&visibilityTimeout=…), then find the old handle refused.
await step("sendMessage", () => client.sendMessage(queue, { MessageBody: "node-one", Priority: 8 }));
await step("peekMessage", () => client.peekMessage(queue));
const received = await step("receiveMessage", () => client.receiveMessage(queue, 1));
const firstHandle = received?.body?.ReceiptHandle;
await step("changeMessageVisibility", () => client.changeMessageVisibility(queue, firstHandle, 600));
await step("deleteWithStaleHandle", () => client.deleteMessage(queue, firstHandle));

// A second message, received and deleted (?ReceiptHandle=…).
await step("sendSecond", () => client.sendMessage(queue, { MessageBody: "node-two" }));
const second = await step("receiveSecond", () => client.receiveMessage(queue, 1));
await step("deleteMessage", () => client.deleteMessage(queue, second?.body?.ReceiptHandle));

// Batches (?numOfMessages=…&waitseconds=…, ?peekonly=true&numOfMessages=…).
await step("batchSendMessage", () =>
  client.batchSendMessage(queue, [
    { MessageBody: "batch-1" },
    { MessageBody: "batch-2", Priority: 2 },
    { MessageBody: "batch-3" },
  ]),
);
await step("batchPeekMessage", () => client.batchPeekMessage(queue, 16));
const batch = await step("batchReceiveMessage", () => client.batchReceiveMessage(queue, 16, 1));
const batchHandles = asList(batch?.body).map((m) => m.ReceiptHandle);
await step("batchDeleteMessage", () => client.batchDeleteMessage(queue, batchHandles));
await step("batchDeleteStale", () => client.batchDeleteMessage(queue, [batchHandles[0], "not-a-handle"]));
await step("receiveFromEmpty", () => client.receiveMessage(queue));

// Topic: the subscription (made beforehand) fans the message out to a queue in SIMPLIFIED format.
await step("createTopic", () => client.createTopic(args.topic));
await step("getTopicAttributes", () => client.getTopicAttributes(args.topic));
await step("listTopic", () => client.listTopic("", 10, args.topic));
await step("publishMessage", () => client.publishMessage(args.topic, { MessageBody: "fan-out", MessageTag: "tagA" }));
const pushed = await step("receiveFanout", () => client.receiveMessage(args["fanout-queue"], 1));
await step("deleteFanout", () => client.deleteMessage(args["fanout-queue"], pushed?.body?.ReceiptHandle));

process.stdout.write(JSON.stringify({ sdk: "@alicloud/mns", steps }) + "\n");
