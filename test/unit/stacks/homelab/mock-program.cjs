// Runs the compiled homelab program (dist/stacks/homelab/index.js) once under Pulumi mocks and
// writes what it registered to the JSON file named by MOCK_RESULT_FILE.
//
// A fresh plain-node process per run, because (1) the program registers its resources when the
// module is first required, so two configs need two module graphs, and (2) vitest's transform
// breaks dynamic-provider serialization (ref/pulumi.md §4), which really runs under mocks.
// Config comes from PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, exactly as the language host sets it.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../../../..");
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [root] }));
const resultFile = process.env.MOCK_RESULT_FILE;
const resources = [];
let outcome;

/** Mock state: echo the inputs, plus what MAAS would report for a reservation. */
function mockState(args) {
  const state = { ...args.inputs };
  // The datastore check's answer: MOCK_DATASTORES lists the servers holding one (others are empty);
  // unset, the check gives no answer (every server counts as unchecked).
  if (args.type === "pulumi-nodejs:dynamic/k3s:DatastoreCheck" && process.env.MOCK_DATASTORES !== undefined) {
    const holders = process.env.MOCK_DATASTORES.split(",").filter(Boolean);
    state.observations = args.inputs.servers.map((s) => ({ name: s.name, state: holders.includes(s.name) ? "datastore" : "empty" }));
  }
  if (args.type === "pulumi-nodejs:dynamic/maas:Reservation") {
    state.reservationId = `rid-${args.inputs.hostname}`;
    state.mechanism = "reservedips";
  }
  return state;
}

async function main() {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider ?? null, id: args.id ?? null });
        return { id: `${args.name}-id`, state: mockState(args) };
      },
      call() {
        return {};
      },
    },
    "homelab",
    "homelab",
    false,
  );
  let program;
  try {
    program = require(path.join(root, "dist/stacks/homelab/index.js"));
  } catch (err) {
    outcome = { error: { name: err.name, message: err.message } };
    return;
  }
  const nodes = await new Promise((resolve) => program.nodes.apply(resolve));
  outcome = { nodes, nodesIsSecret: await program.nodes.isSecret };
}

const errors = [];
process.on("uncaughtException", (err) => errors.push(String(err && err.message)));
process.on("unhandledRejection", (err) => errors.push(String(err && err.message)));
process.once("exit", () => {
  // The event loop is empty: every resource the program started has been registered.
  fs.writeFileSync(resultFile, JSON.stringify({ ...outcome, errors, resources }, null, 1));
});

main().catch((err) => {
  outcome = { error: { name: err.name, message: err.message, stack: err.stack } };
});
