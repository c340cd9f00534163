package main

// VmLegacy create/read/update/delete with the call sequence bpg makes (ref/proxmox.md §3.3-3.6).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

func vmPath(node string, vmid int) string {
	return fmt.Sprintf("/nodes/%s/qemu/%d", url.PathEscape(node), vmid)
}

func form(m map[string]string) url.Values {
	v := url.Values{}
	for k, s := range m {
		v.Set(k, s)
	}
	return v
}

// createVM: clone on the template's node, migrate when the target node differs (local
// storage cannot be cloned across nodes, §3.3 step 1), replace the template's cloud-init drive,
// configure, resize, start, read.
func (p *proxmoxProvider) createVM(ctx context.Context, a *vmArgs) (int, map[string]any, error) {
	c, err := p.client()
	if err != nil {
		return 0, nil, err
	}
	if a.VMID == nil {
		return 0, nil, fmt.Errorf("vmId: the lab stand-in needs an explicit vmId (it does not implement /cluster/nextid allocation)")
	}
	vmid := *a.VMID
	src := a.Clone.NodeName
	if src == "" {
		src = a.NodeName
	}
	clone := url.Values{"newid": {strconv.Itoa(vmid)}, "full": {b01(boolOr(a.Clone.Full, true))}}
	if a.Name != "" {
		clone.Set("name", a.Name)
	}
	if a.Description != "" {
		clone.Set("description", a.Description)
	}
	if a.Clone.DatastoreID != "" {
		clone.Set("storage", a.Clone.DatastoreID)
	}
	if err := c.task(ctx, http.MethodPost, vmPath(src, a.Clone.VMID)+"/clone", clone); err != nil {
		return 0, nil, fmt.Errorf("cloning template %d on %s into VM %d: %w", a.Clone.VMID, src, vmid, err)
	}
	if src != a.NodeName {
		mig := url.Values{"target": {a.NodeName}, "with-local-disks": {"1"}}
		if a.Clone.DatastoreID != "" {
			mig.Set("targetstorage", a.Clone.DatastoreID)
		}
		if err := c.task(ctx, http.MethodPost, vmPath(src, vmid)+"/migrate", mig); err != nil {
			return vmid, nil, fmt.Errorf("migrating the clone %d from %s to %s: %w", vmid, src, a.NodeName, err)
		}
	}
	path := vmPath(a.NodeName, vmid)
	if a.Initialization != nil {
		var cfg map[string]any
		if err := c.do(ctx, http.MethodGet, path+"/config", nil, &cfg); err != nil {
			return vmid, nil, err
		}
		var drop []string
		for k, v := range cfg {
			if s, ok := v.(string); ok && strings.Contains(s, "cloudinit") {
				drop = append(drop, k)
			}
		}
		if len(drop) > 0 {
			sort.Strings(drop)
			if err := c.do(ctx, http.MethodPut, path+"/config", url.Values{"delete": {strings.Join(drop, ",")}}, nil); err != nil {
				return vmid, nil, err
			}
		}
	}
	cfg := configFor(a)
	if a.Initialization != nil {
		cfg[cloudInitSlot(a)] = cloudInitDatastore(a) + ":cloudinit"
	}
	var cloned map[string]any
	if err := c.do(ctx, http.MethodGet, path+"/config", nil, &cloned); err != nil {
		return vmid, nil, err
	}
	for k, v := range diskOptions(a, cloned) {
		cfg[k] = v
	}
	if err := c.do(ctx, http.MethodPut, path+"/config", form(cfg), nil); err != nil {
		return vmid, nil, fmt.Errorf("configuring VM %d: %w", vmid, err)
	}
	if err := p.resizeDisks(ctx, c, path, a); err != nil {
		return vmid, nil, err
	}
	if boolOr(a.Started, true) {
		if err := c.task(ctx, http.MethodPost, path+"/status/start", nil); err != nil {
			return vmid, nil, fmt.Errorf("starting VM %d: %w", vmid, err)
		}
	}
	out, err := p.readVM(ctx, a.NodeName, vmid, a)
	return vmid, out, err
}

// resizeDisks grows disks to the declared size (PVE cannot shrink: bpg refuses that too).
func (p *proxmoxProvider) resizeDisks(ctx context.Context, c *pveClient, path string, a *vmArgs) error {
	if len(a.Disks) == 0 {
		return nil
	}
	var cfg map[string]any
	if err := c.do(ctx, http.MethodGet, path+"/config", nil, &cfg); err != nil {
		return err
	}
	for i, d := range a.Disks {
		raw, _ := cfg[d.Interface].(string)
		if raw == "" {
			return fmt.Errorf("disks[%d].interface: the VM has no disk %s (the template's boot disk must be in that slot)", i, d.Interface)
		}
		have := sizeGB(propertyString(raw)["size"])
		switch {
		case d.Size == 0 || d.Size == have:
		case d.Size < have:
			return fmt.Errorf("disks[%d].size: %d GB is smaller than the disk's %d GB; disks cannot shrink", i, d.Size, have)
		default:
			if err := c.do(ctx, http.MethodPut, path+"/resize", url.Values{"disk": {d.Interface}, "size": {fmt.Sprintf("%dG", d.Size)}}, nil); err != nil {
				return fmt.Errorf("resizing %s: %w", d.Interface, err)
			}
		}
	}
	return nil
}

// readVM: cluster resource list, config, power state, and the guest agent (§3.4). A VM that
// is gone returns nil (the engine then drops it from state and plans a create).
func (p *proxmoxProvider) readVM(ctx context.Context, node string, vmid int, prev *vmArgs) (map[string]any, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	var list []struct {
		VMID int    `json:"vmid"`
		Node string `json:"node"`
		Type string `json:"type"`
	}
	if err := c.do(ctx, http.MethodGet, "/cluster/resources", url.Values{"type": {"vm"}}, &list); err != nil {
		return nil, err
	}
	found := ""
	for _, r := range list {
		if r.VMID == vmid && r.Type == "qemu" {
			found = r.Node
		}
	}
	if found == "" {
		return nil, nil
	}
	path := vmPath(found, vmid)
	var cfg map[string]any
	if err := c.do(ctx, http.MethodGet, path+"/config", nil, &cfg); err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var st struct {
		Status string `json:"status"`
	}
	if err := c.do(ctx, http.MethodGet, path+"/status/current", nil, &st); err != nil {
		return nil, err
	}
	running := st.Status == "running"
	out := readBack(found, vmid, cfg, running, prev)
	ipv4, ipv6, names, macs := [][]string{}, [][]string{}, []string{}, []string{}
	if running && agentEnabled(fmt.Sprint(cfg["agent"])) && !(prev != nil && prev.Agent != nil && prev.Agent.WaitForIP != nil && boolOr(prev.Agent.WaitForIP.Disabled, false)) {
		ifaces, werr := p.waitForAgent(ctx, c, path, prev)
		if werr != nil {
			p.warn(ctx, fmt.Sprintf("VM %d on %s: the guest agent did not report an address (%v); ipv4Addresses stay empty", vmid, found, werr))
		}
		for _, i := range ifaces {
			var v4, v6 []string
			for _, a := range i.Addresses {
				if a.Type == "ipv4" {
					v4 = append(v4, a.Address)
				} else {
					v6 = append(v6, a.Address)
				}
			}
			ipv4, ipv6 = append(ipv4, nonNil(v4)), append(ipv6, nonNil(v6))
			names = append(names, i.Name)
			macs = append(macs, strings.ToUpper(i.MAC)) // bpg upper-cases agent MACs (§1.4)
		}
	}
	if len(macs) == 0 {
		for _, n := range asList(out["networkDevices"]) {
			macs = append(macs, fmt.Sprint(n.(map[string]any)["macAddress"]))
		}
	}
	out["ipv4Addresses"], out["ipv6Addresses"], out["networkInterfaceNames"], out["macAddresses"] = ipv4, ipv6, names, macs
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

type agentIface struct {
	Name      string `json:"name"`
	MAC       string `json:"hardware-address"`
	Addresses []struct {
		Type    string `json:"ip-address-type"`
		Address string `json:"ip-address"`
	} `json:"ip-addresses"`
}

// agentWaitCap bounds the guest-agent wait. bpg waits up to agent.timeout (15m default, 2m in
// this project) on every read; the stand-in caps it so a test with a dead agent stays quick.
func agentWaitCap() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PROXMOX_LAB_AGENT_WAIT")); err == nil {
		return d
	}
	return 3 * time.Second
}

// waitForAgent polls network-get-interfaces until a global unicast address (IPv4 when
// waitForIp.ipv4) appears or the wait ends; "not running" 500s are retried, 403 aborts (§1.4, §3.4).
func (p *proxmoxProvider) waitForAgent(ctx context.Context, c *pveClient, path string, prev *vmArgs) ([]agentIface, error) {
	wait := agentWaitCap()
	if prev != nil && prev.Agent != nil && prev.Agent.Timeout != "" {
		if d, err := time.ParseDuration(prev.Agent.Timeout); err == nil && d < wait {
			wait = d
		}
	}
	wantV4 := prev != nil && prev.Agent != nil && prev.Agent.WaitForIP != nil && boolOr(prev.Agent.WaitForIP.IPv4, false)
	deadline := time.Now().Add(wait)
	var last []agentIface
	var lastErr error
	for {
		var res struct {
			Result []agentIface `json:"result"`
		}
		err := c.do(ctx, http.MethodGet, path+"/agent/network-get-interfaces", nil, &res)
		if e, ok := err.(*apiError); ok && e.status == 403 {
			return nil, err
		}
		if err == nil {
			last, lastErr = res.Result, nil
			if hasGlobalAddress(res.Result, wantV4) {
				return res.Result, nil
			}
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			if lastErr == nil {
				lastErr = fmt.Errorf("no global address after %s", wait)
			}
			return last, lastErr
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func hasGlobalAddress(ifaces []agentIface, v4only bool) bool {
	for _, i := range ifaces {
		for _, a := range i.Addresses {
			if v4only && a.Type != "ipv4" {
				continue
			}
			if a.Address != "" && !strings.HasPrefix(a.Address, "127.") && a.Address != "::1" && !strings.HasPrefix(strings.ToLower(a.Address), "fe80:") {
				return true
			}
		}
	}
	return false
}

// updateVM: PUT the changed config keys, regenerate the cloud-init drive when initialization
// changed, reboot when a reboot-requiring setting changed and rebootAfterUpdate (default true),
// and start or stop per `started` (§3.5).
func (p *proxmoxProvider) updateVM(ctx context.Context, vmid int, olds map[string]any, a *vmArgs) (map[string]any, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	path := vmPath(a.NodeName, vmid)
	var live map[string]any
	if err := c.do(ctx, http.MethodGet, path+"/config", nil, &live); err != nil {
		return nil, err
	}
	want := configFor(a)
	for k, v := range diskOptions(a, live) {
		want[k] = v
	}
	changed := url.Values{}
	for k, v := range want {
		if !sameConfigValue(k, fmt.Sprint(live[k]), v) {
			changed.Set(k, v)
		}
	}
	var st struct {
		Status string `json:"status"`
	}
	if err := c.do(ctx, http.MethodGet, path+"/status/current", nil, &st); err != nil {
		return nil, err
	}
	running := st.Status == "running"
	initChanged := false
	for k := range changed {
		if strings.HasPrefix(k, "ipconfig") || k == "nameserver" || k == "searchdomain" || k == "cicustom" || k == "citype" {
			initChanged = true
		}
	}
	if len(changed) > 0 {
		if err := c.do(ctx, http.MethodPut, path+"/config", changed, nil); err != nil {
			return nil, fmt.Errorf("updating VM %d (%s): %w", vmid, strings.Join(keysOf(changed), ", "), err)
		}
	}
	if initChanged {
		if err := c.do(ctx, http.MethodPut, path+"/cloudinit", nil, nil); err != nil {
			return nil, fmt.Errorf("regenerating the cloud-init drive of VM %d: %w", vmid, err)
		}
	}
	if err := p.resizeDisks(ctx, c, path, a); err != nil {
		return nil, err
	}
	needsReboot := false
	for k := range changed {
		if k != "name" && k != "description" && k != "tags" && k != "onboot" {
			needsReboot = true
		}
	}
	start := boolOr(a.Started, true)
	switch {
	case running && !start:
		if err := c.task(ctx, http.MethodPost, path+"/status/shutdown", url.Values{"forceStop": {"1"}, "timeout": {"1800"}}); err != nil {
			return nil, err
		}
	case running && needsReboot && boolOr(a.RebootAfterUpd, true):
		if err := c.task(ctx, http.MethodPost, path+"/status/reboot", nil); err != nil {
			return nil, fmt.Errorf("rebooting VM %d to apply %s: %w", vmid, strings.Join(keysOf(changed), ", "), err)
		}
	case running && needsReboot:
		p.warn(ctx, fmt.Sprintf("VM %d: %s changed and rebootAfterUpdate is false; reboot it to apply", vmid, strings.Join(keysOf(changed), ", ")))
	case !running && start:
		if err := c.task(ctx, http.MethodPost, path+"/status/start", nil); err != nil {
			return nil, fmt.Errorf("starting VM %d: %w", vmid, err)
		}
	}
	return p.readVM(ctx, a.NodeName, vmid, a)
}

// sameConfigValue compares a live config value with the one we would send; net and agent
// strings are normalised by PVE, so they are compared field by field.
func sameConfigValue(key, live, want string) bool {
	if strings.HasPrefix(key, "net") {
		l, w := propertyString(live), propertyString(want)
		mac := w["macaddr"]
		return l[w["model"]] != "" && (mac == "" || strings.EqualFold(l[w["model"]], mac)) && l["bridge"] == w["bridge"]
	}
	if key == "agent" {
		return agentEnabled(live) == agentEnabled(want)
	}
	if strings.HasPrefix(key, "scsi") || strings.HasPrefix(key, "virtio") || strings.HasPrefix(key, "sata") {
		l, w := propertyString(live), propertyString(want)
		ld, wd := l["discard"], w["discard"]
		if ld == "" {
			ld = "ignore"
		}
		return l[""] == w[""] && ld == wd && (l["iothread"] == "1") == (w["iothread"] == "1")
	}
	if key == "cpu" {
		p := propertyString(live)
		return p[""] == want || p["cputype"] == want
	}
	if strings.HasPrefix(key, "ipconfig") {
		l, w := propertyString(live), propertyString(want)
		return l["ip"] == w["ip"] && l["gw"] == w["gw"] && l["ip6"] == w["ip6"] && l["gw6"] == w["gw6"]
	}
	return live == want
}

func keysOf(v url.Values) []string {
	out := make([]string, 0, len(v))
	for k := range v {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// deleteVM: stop (shutdown with the agent, else stop), then DELETE with purge (§3.6).
func (p *proxmoxProvider) deleteVM(ctx context.Context, node string, vmid int, a *vmArgs) error {
	c, err := p.client()
	if err != nil {
		return err
	}
	path := vmPath(node, vmid)
	var st struct {
		Status string `json:"status"`
	}
	if err := c.do(ctx, http.MethodGet, path+"/status/current", nil, &st); err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	if st.Status != "stopped" {
		if boolOr(a.StopOnDestroy, false) || a.Agent == nil || !boolOr(a.Agent.Enabled, false) {
			err = c.task(ctx, http.MethodPost, path+"/status/stop", nil)
		} else {
			err = c.task(ctx, http.MethodPost, path+"/status/shutdown", url.Values{"forceStop": {"1"}, "timeout": {"1800"}})
		}
		if err != nil {
			return fmt.Errorf("stopping VM %d before deleting it: %w", vmid, err)
		}
	}
	params := url.Values{"destroy-unreferenced-disks": {"1"}, "purge": {b01(boolOr(a.PurgeOnDestroy, true))}}
	if err := c.task(ctx, http.MethodDelete, path, params); err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting VM %d: %w", vmid, err)
	}
	return nil
}

// diskOptions: the declared options of each existing disk, as the disk's property string with
// its current volume and size (bpg sends the disk's full string on update; size goes by resize).
func diskOptions(a *vmArgs, cfg map[string]any) map[string]string {
	out := map[string]string{}
	for _, d := range a.Disks {
		raw, _ := cfg[d.Interface].(string)
		if raw == "" || strings.Contains(raw, "cloudinit") {
			continue
		}
		p := propertyString(raw)
		parts := []string{p[""]}
		discard := d.Discard
		if discard == "" {
			discard = "ignore"
		}
		parts = append(parts, "discard="+discard, "iothread="+b01(boolOr(d.Iothread, false)))
		if p["size"] != "" {
			parts = append(parts, "size="+p["size"])
		}
		out[d.Interface] = strings.Join(parts, ",")
	}
	return out
}
