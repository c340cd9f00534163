package main

// VmLegacy inputs this stand-in implements (the ones stacks/homelab/vm.ts sets), and their
// mapping to and from Proxmox VE's flat VM config (ref/proxmox.md §3.3-3.5, §4.1).

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type vmArgs struct {
	NodeName        string      `json:"nodeName"`
	VMID            *int        `json:"vmId,omitempty"`
	Name            string      `json:"name,omitempty"`
	Description     string      `json:"description,omitempty"`
	Tags            []string    `json:"tags,omitempty"`
	Clone           *cloneArgs  `json:"clone,omitempty"`
	OperatingSystem *osArgs     `json:"operatingSystem,omitempty"`
	CPU             *cpuArgs    `json:"cpu,omitempty"`
	Memory          *memArgs    `json:"memory,omitempty"`
	Disks           []diskArgs  `json:"disks,omitempty"`
	NetworkDevices  []netArgs   `json:"networkDevices,omitempty"`
	Agent           *agentArgs  `json:"agent,omitempty"`
	Initialization  *initArgs   `json:"initialization,omitempty"`
	Started         *bool       `json:"started,omitempty"`
	OnBoot          *bool       `json:"onBoot,omitempty"`
	RebootAfterUpd  *bool       `json:"rebootAfterUpdate,omitempty"`
	StopOnDestroy   *bool       `json:"stopOnDestroy,omitempty"`
	PurgeOnDestroy  *bool       `json:"purgeOnDestroy,omitempty"`
}

type cloneArgs struct {
	VMID        int    `json:"vmId"`
	NodeName    string `json:"nodeName,omitempty"`
	DatastoreID string `json:"datastoreId,omitempty"`
	Full        *bool  `json:"full,omitempty"`
	Retries     *int   `json:"retries,omitempty"`
}

type osArgs struct {
	Type string `json:"type,omitempty"`
}

type cpuArgs struct {
	Cores   int    `json:"cores,omitempty"`
	Sockets int    `json:"sockets,omitempty"`
	Type    string `json:"type,omitempty"`
}

type memArgs struct {
	Dedicated int `json:"dedicated,omitempty"`
}

type diskArgs struct {
	Interface   string `json:"interface"`
	DatastoreID string `json:"datastoreId,omitempty"`
	Size        int    `json:"size,omitempty"`
	Discard     string `json:"discard,omitempty"`
	Iothread    *bool  `json:"iothread,omitempty"`
}

type netArgs struct {
	Bridge     string `json:"bridge,omitempty"`
	Model      string `json:"model,omitempty"`
	MacAddress string `json:"macAddress,omitempty"`
}

type agentArgs struct {
	Enabled   *bool      `json:"enabled,omitempty"`
	Timeout   string     `json:"timeout,omitempty"`
	WaitForIP *waitForIP `json:"waitForIp,omitempty"`
}

type waitForIP struct {
	Disabled *bool `json:"disabled,omitempty"`
	IPv4     *bool `json:"ipv4,omitempty"`
	IPv6     *bool `json:"ipv6,omitempty"`
}

type initArgs struct {
	Type           string         `json:"type,omitempty"`
	DatastoreID    string         `json:"datastoreId,omitempty"`
	Interface      string         `json:"interface,omitempty"`
	IPConfigs      []ipConfigArgs `json:"ipConfigs,omitempty"`
	DNS            *dnsArgs       `json:"dns,omitempty"`
	UserDataFileID string         `json:"userDataFileId,omitempty"`
}

type ipConfigArgs struct {
	IPv4 *ipArgs `json:"ipv4,omitempty"`
	IPv6 *ipArgs `json:"ipv6,omitempty"`
}

type ipArgs struct {
	Address string `json:"address,omitempty"`
	Gateway string `json:"gateway,omitempty"`
}

type dnsArgs struct {
	Domain  string   `json:"domain,omitempty"`
	Servers []string `json:"servers,omitempty"`
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

var macRe = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$`)

// validate mirrors the checks bpg's schema makes before any API call (validators.go: MAC,
// ipconfig rules of ref/proxmox.md §4.1), so bad input fails at preview naming the field.
func (a *vmArgs) validate() []string {
	var bad []string
	if a.NodeName == "" {
		bad = append(bad, "nodeName: required")
	}
	if a.VMID != nil && (*a.VMID < 100 || *a.VMID > 999999999) {
		bad = append(bad, fmt.Sprintf("vmId: %d is outside 100-999999999", *a.VMID))
	}
	if a.Clone == nil {
		bad = append(bad, "clone: the lab stand-in only implements VMs cloned from a template (the homelab's only way)")
	}
	for i, n := range a.NetworkDevices {
		if n.MacAddress != "" && !macRe.MatchString(n.MacAddress) {
			bad = append(bad, fmt.Sprintf("networkDevices[%d].macAddress: %q is not a MAC address", i, n.MacAddress))
		}
	}
	if a.Initialization != nil {
		if t := a.Initialization.Type; t != "" && t != "nocloud" && t != "configdrive2" {
			bad = append(bad, fmt.Sprintf("initialization.type: %q must be nocloud or configdrive2", t))
		}
		for i, c := range a.Initialization.IPConfigs {
			if c.IPv4 != nil && c.IPv4.Address == "dhcp" && c.IPv4.Gateway != "" {
				bad = append(bad, fmt.Sprintf("initialization.ipConfigs[%d].ipv4.gateway: not allowed with address dhcp", i))
			}
			if c.IPv4 != nil && c.IPv4.Gateway != "" && c.IPv4.Address == "" {
				bad = append(bad, fmt.Sprintf("initialization.ipConfigs[%d].ipv4.gateway: needs an address", i))
			}
		}
	}
	return bad
}

// ipconfigValue renders ipconfigN the way bpg writes it (gateway first, ref/proxmox.md §4.1).
func ipconfigValue(c ipConfigArgs) string {
	var parts []string
	if c.IPv4 != nil {
		if c.IPv4.Gateway != "" {
			parts = append(parts, "gw="+c.IPv4.Gateway)
		}
		if c.IPv4.Address != "" {
			parts = append(parts, "ip="+c.IPv4.Address)
		}
	}
	if c.IPv6 != nil {
		if c.IPv6.Gateway != "" {
			parts = append(parts, "gw6="+c.IPv6.Gateway)
		}
		if c.IPv6.Address != "" {
			parts = append(parts, "ip6="+c.IPv6.Address)
		}
	}
	return strings.Join(parts, ",")
}

// configFor is the PUT /config body for everything the program sets (ref/proxmox.md §3.3 step 4).
func configFor(a *vmArgs) map[string]string {
	cfg := map[string]string{}
	if a.Name != "" {
		cfg["name"] = a.Name
	}
	if a.Description != "" {
		cfg["description"] = a.Description
	}
	if len(a.Tags) > 0 {
		cfg["tags"] = strings.Join(a.Tags, ";")
	}
	if a.OperatingSystem != nil && a.OperatingSystem.Type != "" {
		cfg["ostype"] = a.OperatingSystem.Type
	}
	if a.CPU != nil {
		if a.CPU.Cores > 0 {
			cfg["cores"] = strconv.Itoa(a.CPU.Cores)
		}
		if a.CPU.Sockets > 0 {
			cfg["sockets"] = strconv.Itoa(a.CPU.Sockets)
		}
		if a.CPU.Type != "" {
			cfg["cpu"] = a.CPU.Type
		}
	}
	if a.Memory != nil && a.Memory.Dedicated > 0 {
		cfg["memory"] = strconv.Itoa(a.Memory.Dedicated)
	}
	if a.Agent != nil {
		cfg["agent"] = "enabled=" + b01(boolOr(a.Agent.Enabled, false)) + ",fstrim_cloned_disks=0,type=virtio"
	}
	for i, n := range a.NetworkDevices {
		model := n.Model
		if model == "" {
			model = "virtio"
		}
		bridge := n.Bridge
		if bridge == "" {
			bridge = "vmbr0"
		}
		v := "model=" + model + ",bridge=" + bridge + ",firewall=0"
		if n.MacAddress != "" {
			v += ",macaddr=" + n.MacAddress
		}
		cfg[fmt.Sprintf("net%d", i)] = v
	}
	if in := a.Initialization; in != nil {
		for i, c := range in.IPConfigs {
			cfg[fmt.Sprintf("ipconfig%d", i)] = ipconfigValue(c)
		}
		if in.DNS != nil {
			if len(in.DNS.Servers) > 0 {
				cfg["nameserver"] = strings.Join(in.DNS.Servers, " ")
			}
			if in.DNS.Domain != "" {
				cfg["searchdomain"] = in.DNS.Domain
			}
		}
		if in.UserDataFileID != "" {
			cfg["cicustom"] = "user=" + in.UserDataFileID
		}
		if in.Type != "" {
			cfg["citype"] = in.Type
		}
	}
	cfg["onboot"] = b01(boolOr(a.OnBoot, true))
	return cfg
}

func cloudInitSlot(a *vmArgs) string {
	if a.Initialization != nil && a.Initialization.Interface != "" {
		return a.Initialization.Interface
	}
	return "ide2"
}

func cloudInitDatastore(a *vmArgs) string {
	if a.Initialization != nil && a.Initialization.DatastoreID != "" {
		return a.Initialization.DatastoreID
	}
	return "local-lvm" // bpg's default (ref/proxmox.md §1.3)
}

// propertyString parses PVE's `k=v,k=v` strings; a bare first item is returned under "".
func propertyString(s string) map[string]string {
	out := map[string]string{}
	for i, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			if i == 0 {
				out[""] = part
			}
			continue
		}
		out[k] = v
	}
	return out
}

// sizeGB parses a disk size like "20G", "3584M" into whole GB (rounded up, as bpg reports).
func sizeGB(s string) int {
	if s == "" {
		return 0
	}
	unit := s[len(s)-1]
	n, err := strconv.ParseFloat(strings.TrimRight(s, "KMGT"), 64)
	if err != nil {
		return 0
	}
	switch unit {
	case 'T':
		n *= 1024
	case 'M':
		n /= 1024
	case 'K':
		n /= 1024 * 1024
	}
	g := int(n)
	if float64(g) < n {
		g++
	}
	return g
}

var netModels = []string{"virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"}

// readBack maps a VM config to the inputs it corresponds to, so a refresh compares what Proxmox
// holds (changed in the UI or not) with what the program declares. Fields Proxmox does not hold
// (clone, agent.timeout/waitForIp) are carried over from the previous inputs, as bpg does.
func readBack(node string, vmid int, cfg map[string]any, running bool, prev *vmArgs) map[string]any {
	s := func(k string) string {
		switch v := cfg[k].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return ""
	}
	atoi := func(k string) int { n, _ := strconv.Atoi(s(k)); return n }
	out := map[string]any{"nodeName": node, "vmId": vmid, "started": running}
	if v := s("name"); v != "" {
		out["name"] = v
	}
	if v := s("description"); v != "" {
		out["description"] = v
	}
	if v := s("tags"); v != "" {
		tags := strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' })
		sort.Strings(tags)
		out["tags"] = tags
	}
	if v := s("ostype"); v != "" {
		out["operatingSystem"] = map[string]any{"type": v}
	}
	cpu := map[string]any{}
	if n := atoi("cores"); n > 0 {
		cpu["cores"] = n
	}
	if n := atoi("sockets"); n > 0 {
		cpu["sockets"] = n
	}
	if v := s("cpu"); v != "" {
		p := propertyString(v)
		if t := p["cputype"]; t != "" {
			cpu["type"] = t
		} else {
			cpu["type"] = p[""]
		}
	}
	out["cpu"] = cpu
	if n := atoi("memory"); n > 0 {
		out["memory"] = map[string]any{"dedicated": n}
	}
	agent := map[string]any{"enabled": agentEnabled(s("agent"))}
	if prev != nil && prev.Agent != nil {
		if prev.Agent.Timeout != "" {
			agent["timeout"] = prev.Agent.Timeout
		}
		if prev.Agent.WaitForIP != nil {
			agent["waitForIp"] = toMap(prev.Agent.WaitForIP)
		}
	}
	out["agent"] = agent
	if v := s("onboot"); v != "" {
		out["onBoot"] = v == "1"
	}

	var disks []any
	if prev != nil {
		for _, d := range prev.Disks {
			raw := s(d.Interface)
			if raw == "" {
				continue
			}
			p := propertyString(raw)
			ds, _, _ := strings.Cut(p[""], ":")
			if f := p["file"]; f != "" {
				ds, _, _ = strings.Cut(f, ":")
			}
			disk := map[string]any{"interface": d.Interface, "datastoreId": ds, "size": sizeGB(p["size"]), "iothread": p["iothread"] == "1"}
			if v := p["discard"]; v != "" {
				disk["discard"] = v
			} else {
				disk["discard"] = "ignore"
			}
			disks = append(disks, disk)
		}
	}
	if disks != nil {
		out["disks"] = disks
	}

	var nets []any
	for i := 0; i < 32; i++ {
		raw := s(fmt.Sprintf("net%d", i))
		if raw == "" {
			break
		}
		p := propertyString(raw)
		dev := map[string]any{"bridge": p["bridge"]}
		for _, m := range netModels {
			if mac, ok := p[m]; ok {
				dev["model"] = m
				dev["macAddress"] = mac
			}
		}
		nets = append(nets, dev)
	}
	if nets != nil {
		out["networkDevices"] = nets
	}

	init := map[string]any{}
	for _, slot := range []string{"ide0", "ide1", "ide2", "ide3", "sata0", "scsi1"} {
		if v := s(slot); strings.Contains(v, "cloudinit") {
			ds, _, _ := strings.Cut(propertyString(v)[""], ":")
			init["datastoreId"] = ds
			init["interface"] = slot
		}
	}
	if len(init) > 0 {
		if prev == nil || prev.Initialization == nil || prev.Initialization.Interface == "" {
			delete(init, "interface") // computed; only compared when the program sets it
		}
		var ipcs []any
		for i := 0; i < 32; i++ {
			raw := s(fmt.Sprintf("ipconfig%d", i))
			if raw == "" {
				break
			}
			p := propertyString(raw)
			ipc := map[string]any{}
			if p["ip"] != "" || p["gw"] != "" {
				v4 := map[string]any{}
				if p["ip"] != "" {
					v4["address"] = p["ip"]
				}
				if p["gw"] != "" {
					v4["gateway"] = p["gw"]
				}
				ipc["ipv4"] = v4
			}
			if p["ip6"] != "" || p["gw6"] != "" {
				v6 := map[string]any{}
				if p["ip6"] != "" {
					v6["address"] = p["ip6"]
				}
				if p["gw6"] != "" {
					v6["gateway"] = p["gw6"]
				}
				ipc["ipv6"] = v6
			}
			ipcs = append(ipcs, ipc)
		}
		if ipcs != nil {
			init["ipConfigs"] = ipcs
		}
		dns := map[string]any{}
		if v := s("nameserver"); v != "" {
			dns["servers"] = strings.Fields(v)
		}
		if v := s("searchdomain"); v != "" {
			dns["domain"] = v
		}
		if len(dns) > 0 {
			init["dns"] = dns
		}
		if v := s("cicustom"); v != "" {
			if u := propertyString(v)["user"]; u != "" {
				init["userDataFileId"] = u
			}
		}
		if v := s("citype"); v != "" {
			init["type"] = v
		}
		out["initialization"] = init
	}
	if prev != nil && prev.Clone != nil {
		out["clone"] = toMap(prev.Clone)
	}
	return out
}

func agentEnabled(v string) bool {
	p := propertyString(v)
	return p[""] == "1" || p["enabled"] == "1"
}
