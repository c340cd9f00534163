package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	vmType   = "proxmoxve:index/vmLegacy:VmLegacy"
	fileType = "proxmoxve:index/fileLegacy:FileLegacy"
	// Version is what @muhlba91/pulumi-proxmoxve 8.6.0 asks the engine for (ref/proxmox.md §2.1).
	Version = "8.6.0"
)

//go:embed schema.json
var schemaJSON []byte

// bpg's own check of the token (ref/proxmox.md §1.2).
var tokenRe = regexp.MustCompile(`^\S+@\S+!\S+=([a-zA-Z0-9-]+)$`)

type proxmoxProvider struct {
	plugin.UnimplementedProvider
	engineAddr string

	mu       sync.Mutex
	endpoint string
	token    string
	insecure bool
	ssh      *sshSettings
	pve      *pveClient
	engine   pulumirpc.EngineClient
}

type urnKey struct{}

func withURN(ctx context.Context, urn resource.URN) context.Context {
	return context.WithValue(ctx, urnKey{}, urn)
}

// warn sends a warning to the engine, attached to the resource being worked on.
func (p *proxmoxProvider) warn(ctx context.Context, msg string) {
	p.say(ctx, pulumirpc.LogSeverity_WARNING, msg)
}

func (p *proxmoxProvider) say(ctx context.Context, severity pulumirpc.LogSeverity, msg string) {
	p.mu.Lock()
	if p.engine == nil && p.engineAddr != "" {
		if conn, err := grpc.NewClient(p.engineAddr, grpc.WithTransportCredentials(insecure.NewCredentials())); err == nil {
			p.engine = pulumirpc.NewEngineClient(conn)
		}
	}
	engine := p.engine
	p.mu.Unlock()
	urn, _ := ctx.Value(urnKey{}).(resource.URN)
	if engine == nil {
		return
	}
	_, _ = engine.Log(ctx, &pulumirpc.LogRequest{Severity: severity, Message: msg, Urn: string(urn)})
}

func (p *proxmoxProvider) client() (*pveClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pve == nil {
		return nil, fmt.Errorf("the provider is not configured (endpoint and apiToken are needed)")
	}
	return p.pve, nil
}

func (p *proxmoxProvider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v := semver.MustParse(Version)
	return plugin.PluginInfo{Version: &v}, nil
}

func (p *proxmoxProvider) GetSchema(context.Context, plugin.GetSchemaRequest) (plugin.GetSchemaResponse, error) {
	return plugin.GetSchemaResponse{Schema: schemaJSON}, nil
}

// providerConfig is what the Provider resource passes. Non-string inputs of a provider
// resource arrive JSON-encoded as strings (the Node SDK serialises them), so both forms are read.
type providerConfig struct {
	endpoint, token string
	insecure        bool
	ssh             *sshSettings
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case unknownValue:
		return ""
	}
	return fmt.Sprint(v)
}

func parseProviderConfig(m map[string]any) (providerConfig, []plugin.CheckFailure) {
	var cfg providerConfig
	var bad []plugin.CheckFailure
	fail := func(k, why string) { bad = append(bad, plugin.CheckFailure{Property: resource.PropertyKey(k), Reason: why}) }
	known := map[string]bool{"endpoint": true, "apiToken": true, "insecure": true, "ssh": true, "version": true, "minTls": true, "tmpDir": true}
	for k := range m {
		if !known[k] {
			fail(k, fmt.Sprintf("%s: not implemented by the lab stand-in of pulumi-resource-proxmoxve (it implements endpoint, apiToken, insecure, ssh)", k))
		}
	}
	cfg.endpoint = str(m["endpoint"])
	cfg.token = str(m["apiToken"])
	switch v := m["insecure"].(type) {
	case bool:
		cfg.insecure = v
	case string:
		cfg.insecure, _ = strconv.ParseBool(v)
	}
	if v := m["minTls"]; v != nil && str(v) != "1.3" {
		fail("minTls", "the lab stand-in only implements the default minTls 1.3")
	}
	switch v := m["ssh"].(type) {
	case string:
		if v != "" {
			cfg.ssh = &sshSettings{}
			if err := json.Unmarshal([]byte(v), cfg.ssh); err != nil {
				fail("ssh", "not a ProviderSsh object: "+err.Error())
			}
		}
	case map[string]any:
		cfg.ssh = &sshSettings{}
		if err := decodeStrict(v, cfg.ssh); err != nil {
			fail("ssh", "not a ProviderSsh object the stand-in implements: "+err.Error())
		}
	}
	if _, unknown := m["endpoint"].(unknownValue); !unknown {
		if cfg.endpoint == "" {
			fail("endpoint", "endpoint: required (https://<host>:8006/), or PROXMOX_VE_ENDPOINT")
		}
	}
	if _, unknown := m["apiToken"].(unknownValue); !unknown {
		if cfg.token == "" {
			fail("apiToken", "apiToken: required by the lab stand-in (it implements API-token auth only)")
		} else if !tokenRe.MatchString(cfg.token) {
			fail("apiToken", "apiToken: must be in the form USER@REALM!TOKENID=SECRET (value not shown)")
		}
	}
	return cfg, bad
}

func (p *proxmoxProvider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	_, bad := parseProviderConfig(plainMap(req.News))
	return plugin.CheckConfigResponse{Properties: req.News, Failures: bad}, nil
}

func (p *proxmoxProvider) DiffConfig(_ context.Context, req plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	// No provider setting replaces resources in bpg; changes just reconfigure.
	paths := map[string]bool{}
	diffPaths("", plainMap(req.OldOutputs), plainMap(req.NewInputs), paths)
	if len(paths) == 0 {
		return plugin.DiffConfigResponse{Changes: plugin.DiffNone}, nil
	}
	return plugin.DiffConfigResponse{Changes: plugin.DiffSome}, nil
}

func (p *proxmoxProvider) Configure(ctx context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	cfg, bad := parseProviderConfig(plainMap(req.Inputs))
	if len(bad) > 0 {
		return plugin.ConfigureResponse{}, fmt.Errorf("proxmoxve provider config: %s", bad[0].Reason)
	}
	c, err := newPveClient(cfg.endpoint, cfg.token, cfg.insecure)
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	p.mu.Lock()
	p.endpoint, p.token, p.insecure, p.ssh, p.pve = cfg.endpoint, cfg.token, cfg.insecure, cfg.ssh, c
	p.mu.Unlock()
	p.say(ctx, pulumirpc.LogSeverity_INFO, banner)
	return plugin.ConfigureResponse{}, nil
}

func failures(msgs []string) []plugin.CheckFailure {
	var out []plugin.CheckFailure
	for _, m := range msgs {
		key, _, _ := strings.Cut(m, ":")
		out = append(out, plugin.CheckFailure{Property: resource.PropertyKey(strings.SplitN(strings.SplitN(key, ".", 2)[0], "[", 2)[0]), Reason: m})
	}
	return out
}

func (p *proxmoxProvider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	news := plainMap(req.News)
	if hasUnknown(news) {
		return plugin.CheckResponse{Properties: req.News}, nil
	}
	switch string(req.Type) {
	case vmType:
		var a vmArgs
		if err := decodeStrict(news, &a); err != nil {
			return plugin.CheckResponse{Failures: []plugin.CheckFailure{{Reason: "VmLegacy " + req.Name + ": " + unimplemented(err)}}}, nil
		}
		return plugin.CheckResponse{Properties: req.News, Failures: failures(a.validate())}, nil
	case fileType:
		var a fileArgs
		if err := decodeStrict(news, &a); err != nil {
			return plugin.CheckResponse{Failures: []plugin.CheckFailure{{Reason: "FileLegacy " + req.Name + ": " + unimplemented(err)}}}, nil
		}
		return plugin.CheckResponse{Properties: req.News, Failures: failures(a.validate())}, nil
	}
	return plugin.CheckResponse{}, fmt.Errorf("%s is not implemented by the lab stand-in of pulumi-resource-proxmoxve (only %s and %s)", req.Type, vmType, fileType)
}

func unimplemented(err error) string {
	return strings.Replace(err.Error(), "json: unknown field", "input not implemented by the lab stand-in:", 1)
}

func (p *proxmoxProvider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	olds, news := plainMap(req.OldOutputs), plainMap(req.NewInputs)
	rules := vmForceNew
	if string(req.Type) == fileType {
		rules = fileForceNew
	}
	return computeDiff(olds, news, rules, req.IgnoreChanges), nil
}

// withSecrets marks an output secret where the matching input is (or contains) a secret, so a
// secret input (the snippet's content) never lands in state as plaintext.
func withSecrets(out map[string]any, inputs resource.PropertyMap) resource.PropertyMap {
	pm := resource.NewPropertyMapFromMap(out)
	for k, v := range inputs {
		if v.ContainsSecrets() {
			if o, ok := pm[k]; ok && !o.IsSecret() {
				pm[k] = resource.MakeSecret(o)
			}
		}
	}
	return pm
}

func vmidOf(id resource.ID) (int, error) {
	n, err := strconv.Atoi(string(id))
	if err != nil {
		return 0, fmt.Errorf("VM id %q is not a number", id)
	}
	return n, nil
}

func (p *proxmoxProvider) Create(ctx context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	ctx = withURN(ctx, req.URN)
	props := plainMap(req.Properties)
	switch string(req.Type) {
	case vmType:
		var a vmArgs
		if err := decodeStrict(props, &a); err != nil {
			return plugin.CreateResponse{}, err
		}
		if req.Preview {
			return plugin.CreateResponse{Properties: req.Properties}, nil
		}
		vmid, out, err := p.createVM(ctx, &a)
		if err != nil {
			if vmid != 0 {
				// Partially created: report it so the engine records it and a later up continues.
				return plugin.CreateResponse{ID: resource.ID(strconv.Itoa(vmid)), Properties: req.Properties, Status: resource.StatusPartialFailure}, err
			}
			return plugin.CreateResponse{}, err
		}
		return plugin.CreateResponse{ID: resource.ID(strconv.Itoa(vmid)), Properties: withSecrets(out, req.Properties), Status: resource.StatusOK}, nil
	case fileType:
		var a fileArgs
		if err := decodeStrict(props, &a); err != nil {
			return plugin.CreateResponse{}, err
		}
		if req.Preview {
			return plugin.CreateResponse{Properties: req.Properties}, nil
		}
		out, err := p.createFile(ctx, &a)
		if err != nil {
			return plugin.CreateResponse{}, err
		}
		return plugin.CreateResponse{ID: resource.ID(a.volid()), Properties: withSecrets(out, req.Properties), Status: resource.StatusOK}, nil
	}
	return plugin.CreateResponse{}, fmt.Errorf("unknown resource type %s", req.Type)
}

func (p *proxmoxProvider) Read(ctx context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	ctx = withURN(ctx, req.URN)
	inputs := req.Inputs
	if len(inputs) == 0 {
		inputs = req.State
	}
	switch string(req.Type) {
	case vmType:
		var a vmArgs
		_ = decodeStrictLoose(plainMap(inputs), &a)
		vmid, err := vmidOf(req.ID)
		if err != nil {
			return plugin.ReadResponse{}, err
		}
		if a.NodeName == "" {
			a.NodeName = str(plainMap(req.State)["nodeName"])
		}
		out, err := p.readVM(ctx, a.NodeName, vmid, &a)
		if err != nil || out == nil {
			return plugin.ReadResponse{}, err
		}
		ins := inputsFrom(out, plainMap(inputs))
		return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Outputs: withSecrets(out, inputs), Inputs: withSecrets(ins, inputs)}, Status: resource.StatusOK}, nil
	case fileType:
		var a fileArgs
		_ = decodeStrictLoose(plainMap(inputs), &a)
		if a.SourceRaw == nil {
			return plugin.ReadResponse{}, fmt.Errorf("%s: state has no sourceRaw (import is not implemented by the lab stand-in)", req.ID)
		}
		out, err := p.readFile(ctx, &a)
		if err != nil || out == nil {
			return plugin.ReadResponse{}, err
		}
		ins := inputsFrom(out, plainMap(inputs))
		return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Outputs: withSecrets(out, inputs), Inputs: withSecrets(ins, inputs)}, Status: resource.StatusOK}, nil
	}
	return plugin.ReadResponse{}, fmt.Errorf("unknown resource type %s", req.Type)
}

// inputsFrom: the refreshed inputs are the read-back values of the keys the program set.
func inputsFrom(out, prevInputs map[string]any) map[string]any {
	ins := map[string]any{}
	for k := range prevInputs {
		if v, ok := out[k]; ok {
			ins[k] = v
		}
	}
	return ins
}

func decodeStrictLoose(in map[string]any, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

func (p *proxmoxProvider) Update(ctx context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	ctx = withURN(ctx, req.URN)
	if string(req.Type) != vmType {
		return plugin.UpdateResponse{}, fmt.Errorf("%s has no update: every change replaces it", req.Type)
	}
	var a vmArgs
	if err := decodeStrict(plainMap(req.NewInputs), &a); err != nil {
		return plugin.UpdateResponse{}, err
	}
	if req.Preview {
		return plugin.UpdateResponse{Properties: req.NewInputs}, nil
	}
	vmid, err := vmidOf(req.ID)
	if err != nil {
		return plugin.UpdateResponse{}, err
	}
	out, err := p.updateVM(ctx, vmid, plainMap(req.OldOutputs), &a)
	if err != nil {
		return plugin.UpdateResponse{}, err
	}
	if out == nil {
		return plugin.UpdateResponse{}, fmt.Errorf("VM %d disappeared during the update", vmid)
	}
	return plugin.UpdateResponse{Properties: withSecrets(out, req.NewInputs), Status: resource.StatusOK}, nil
}

func (p *proxmoxProvider) Delete(ctx context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	ctx = withURN(ctx, req.URN)
	switch string(req.Type) {
	case vmType:
		var a vmArgs
		_ = decodeStrictLoose(plainMap(req.Inputs), &a)
		node := str(plainMap(req.Outputs)["nodeName"])
		if node == "" {
			node = a.NodeName
		}
		vmid, err := vmidOf(req.ID)
		if err != nil {
			return plugin.DeleteResponse{}, err
		}
		return plugin.DeleteResponse{}, p.deleteVM(ctx, node, vmid, &a)
	case fileType:
		var a fileArgs
		_ = decodeStrictLoose(plainMap(req.Inputs), &a)
		if a.SourceRaw == nil {
			return plugin.DeleteResponse{}, fmt.Errorf("%s: state has no sourceRaw", req.ID)
		}
		return plugin.DeleteResponse{}, p.deleteFile(ctx, &a)
	}
	return plugin.DeleteResponse{}, fmt.Errorf("unknown resource type %s", req.Type)
}
