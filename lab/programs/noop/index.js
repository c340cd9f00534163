// The engine floor for the benchmark: N dynamic resources whose provider does no I/O, so a
// refresh-preview of them measures only the engine, the language host and the provider host.
"use strict";
const pulumi = require("@pulumi/pulumi");

const noopProvider = {
  async diff(_id, olds, news) { return { changes: olds.value !== news.value }; },
  async create(inputs) { return { id: inputs.value, outs: { value: inputs.value } }; },
  async read(id, props) { return { id, props }; },
  async update(_id, _olds, news) { return { outs: { value: news.value } }; },
  async delete() {},
};

class Noop extends pulumi.dynamic.Resource {
  constructor(name, value) { super(noopProvider, name, { value }, undefined, "bench", "Noop"); }
}

const count = new pulumi.Config("bench").requireNumber("count");
for (let i = 0; i < count; i++) new Noop(`noop-${i}`, `v${i}`);
