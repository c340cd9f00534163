"use strict";
// State names this file (see forwarder.js): keep it while any release reads homelab-ipam/maas-reservation v1.
module.exports = require("./forwarder").forwarder("homelab-ipam/maas-reservation", 1);
