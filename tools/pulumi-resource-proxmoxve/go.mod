module homelab-ipam.local/pulumi-resource-proxmoxve

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v3.246.0
