// A tiny dynamic resource backed by a JSON file (STORE_FILE), used to prove the engine harness:
// up → empty preview → out-of-band edit → refresh shows it → destroy. Plain CommonJS so the
// provider serializes exactly as in a user's compiled program.
"use strict";
const pulumi = require("@pulumi/pulumi");

const storeProvider = {
  async check(_olds, news) {
    const failures = typeof news.value === "string" ? [] : [{ property: "value", reason: "value must be a string" }];
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    return { changes: olds.value !== news.value };
  },
  async create(inputs) {
    const fs = require("node:fs");
    const file = process.env.STORE_FILE;
    const store = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
    store[inputs.key] = inputs.value;
    fs.writeFileSync(file, JSON.stringify(store));
    return { id: inputs.key, outs: { key: inputs.key, value: inputs.value } };
  },
  async read(id, props) {
    const fs = require("node:fs");
    const file = process.env.STORE_FILE;
    const store = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
    if (!(id in store)) return {};
    return { id, props: { ...props, value: store[id] } };
  },
  async update(id, _olds, news) {
    return this.create(news).then((r) => ({ outs: r.outs }));
  },
  async delete(id) {
    const fs = require("node:fs");
    const file = process.env.STORE_FILE;
    if (!fs.existsSync(file)) return;
    const store = JSON.parse(fs.readFileSync(file, "utf8"));
    delete store[id];
    fs.writeFileSync(file, JSON.stringify(store));
  },
};

class StoreItem extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(storeProvider, name, { key: args.key, value: args.value }, opts, "store", "Item");
  }
}

const config = new pulumi.Config();
const item = new StoreItem("item", { key: "greeting", value: config.require("value") });
exports.value = item.value;
