// Command pulumi-resource-proxmoxve is a LAB STAND-IN for the proxmoxve provider plugin that
// @muhlba91/pulumi-proxmoxve 8.6.0 requests. It exists only so this project's tests and
// `npm run lab` can run VmLegacy and FileLegacy through the real Pulumi engine against the
// loopback Proxmox VE simulator in lab/proxmox. It refuses any endpoint that is not on
// 127.0.0.1. Real stacks use the real plugin (pulumi plugin install resource proxmoxve 8.6.0).
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

const banner = "pulumi-resource-proxmoxve " + Version + ": LAB STAND-IN from homelab-ipam tools/, for tests and the lab only; " +
	"it talks only to the Proxmox simulator on 127.0.0.1 and is not the real provider"

func main() {
	fmt.Fprintln(os.Stderr, banner)
	p := &proxmoxProvider{}
	for _, a := range os.Args[1:] {
		if len(a) > 0 && a[0] != '-' {
			p.engineAddr = a // the engine passes its address as the last plain argument
		}
	}
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, plugin.NewProviderServer(p))
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-proxmoxve: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port) // the engine reads the port from the first line of stdout
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-proxmoxve: %v\n", err)
		os.Exit(1)
	}
}
