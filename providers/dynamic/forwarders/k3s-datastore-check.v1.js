"use strict";
// State names this file (see forwarder.js): keep it while any release reads homelab-ipam/k3s-datastore-check v1.
module.exports = require("./forwarder").forwarder("homelab-ipam/k3s-datastore-check", 1);
