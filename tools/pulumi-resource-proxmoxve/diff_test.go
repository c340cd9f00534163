package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// The diff rules of README.md: which changes replace and which update, read back from config.
func TestVmDiffRules(t *testing.T) {
	live := readBack("pve", 107, map[string]any{
		"name": "k3s-vm-pve", "net0": "virtio=BC:24:11:00:00:99,bridge=vmbr0,firewall=0", "ipconfig0": "ip=dhcp",
		"ide2": "local-lvm:vm-107-cloudinit,media=cdrom", "cicustom": "user=local:snippets/k3s-vm-pve-user-data.yaml", "agent": "enabled=1",
	}, false, &vmArgs{})
	want := map[string]any{
		"nodeName": "pve", "vmId": float64(107), "started": true,
		"networkDevices": []any{map[string]any{"bridge": "vmbr0", "model": "virtio", "macAddress": "BC:24:11:3B:7A:A7"}},
		"initialization": map[string]any{
			"datastoreId": "local-lvm", "userDataFileId": "local:snippets/k3s-vm-pve-user-data.yaml",
			"ipConfigs": []any{map[string]any{"ipv4": map[string]any{"address": "192.168.4.238/24", "gateway": "192.168.4.1"}}},
		},
	}
	olds := toMap(live) // through JSON, as state is
	got := computeDiff(olds, want, vmForceNew, nil)
	for path, kind := range map[string]plugin.DiffKind{
		"networkDevices[0].macAddress":              plugin.DiffUpdate,
		"initialization.ipConfigs[0].ipv4.address": plugin.DiffUpdate,
		"initialization.ipConfigs[0].ipv4.gateway": plugin.DiffUpdate,
		"started":                                   plugin.DiffUpdate,
	} {
		if d, ok := got.DetailedDiff[path]; !ok || d.Kind != kind {
			t.Errorf("%s: got %+v, want kind %v (diff %+v)", path, d, kind, got.DetailedDiff)
		}
	}
	if len(got.ReplaceKeys) != 0 {
		t.Errorf("in-place changes must not replace: %v", got.ReplaceKeys)
	}

	want["initialization"].(map[string]any)["userDataFileId"] = "local:snippets/other.yaml"
	want["nodeName"] = "still-fawn"
	got = computeDiff(olds, want, vmForceNew, nil)
	if got.DetailedDiff["initialization.userDataFileId"].Kind != plugin.DiffUpdateReplace || got.DetailedDiff["nodeName"].Kind != plugin.DiffUpdateReplace {
		t.Errorf("userDataFileId and nodeName must replace: %+v", got.DetailedDiff)
	}
}

func TestFileDiffEveryChangeReplaces(t *testing.T) {
	olds := map[string]any{"nodeName": "pve", "datastoreId": "local", "sourceRaw": map[string]any{"data": "a", "fileName": "x.yaml"}, "fileSize": float64(1)}
	news := map[string]any{"nodeName": "pve", "datastoreId": "local", "sourceRaw": map[string]any{"data": "b", "fileName": "x.yaml"}}
	got := computeDiff(olds, news, fileForceNew, nil)
	if got.DetailedDiff["sourceRaw.data"].Kind != plugin.DiffUpdateReplace || len(got.ReplaceKeys) != 1 {
		t.Errorf("a content change must replace the file: %+v", got)
	}
	if computeDiff(olds, map[string]any{"nodeName": "pve", "datastoreId": "local", "sourceRaw": olds["sourceRaw"]}, fileForceNew, nil).Changes != plugin.DiffNone {
		t.Error("outputs the program does not set (fileSize) must not show as a change")
	}
}

func TestEndpointMustBeLoopbackHTTPS(t *testing.T) {
	for _, e := range []string{"https://pve.homelab.lan:8006/", "https://192.168.4.10:8006/", "http://127.0.0.1:8006/"} {
		if _, err := newPveClient(e, "root@pam!t=x", true); err == nil {
			t.Errorf("%s: the lab stand-in must refuse it", e)
		}
	}
	if _, err := newPveClient("https://127.0.0.1:8006/", "root@pam!t=x", true); err != nil {
		t.Error(err)
	}
}
