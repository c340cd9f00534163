package main

// Which changed properties force a new resource. The lists mirror the ForceNew attributes of
// bpg/terraform-provider-proxmox (the provider @muhlba91/pulumi-proxmoxve bridges); README.md
// cites where each comes from. Everything not listed updates in place.

import (
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

var vmForceNew = []string{
	"nodeName", // unless migrate: true (not implemented here, so always)
	"vmId",
	"clone", // every clone.* attribute
	"initialization.type",
	"initialization.userDataFileId",
	"initialization.vendorDataFileId",
	"initialization.networkDataFileId",
	"initialization.metaDataFileId",
	"disks[].fileId",
}

// Every source attribute of proxmox_virtual_environment_file is ForceNew: there is no update.
var fileForceNew = []string{"nodeName", "datastoreId", "contentType", "sourceRaw", "sourceFile", "fileMode"}

var indexRe = regexp.MustCompile(`\[\d+\]`)

// forcesNew reports whether a change at path matches one of the rules (a rule names the
// attribute or a parent of it; "[]" matches any list index).
func forcesNew(path string, rules []string) bool {
	generic := indexRe.ReplaceAllString(path, "[]")
	for _, r := range rules {
		if generic == r || strings.HasPrefix(generic, r+".") || strings.HasPrefix(generic, r+"[") {
			return true
		}
	}
	return false
}

// computeDiff compares the refreshed state (olds: outputs, which hold the live values under the
// input names) with the program's inputs (news).
func computeDiff(olds, news map[string]any, rules []string, ignore []string) plugin.DiffResult {
	paths := map[string]bool{}
	diffPaths("", olds, news, paths)
	keys := make([]string, 0, len(paths))
	for p := range paths {
		if ignored(p, ignore) {
			continue
		}
		keys = append(keys, p)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}
	}
	res := plugin.DiffResult{Changes: plugin.DiffSome, DetailedDiff: map[string]plugin.PropertyDiff{}}
	top := map[resource.PropertyKey]bool{}
	replace := map[resource.PropertyKey]bool{}
	for _, p := range keys {
		root := resource.PropertyKey(strings.SplitN(strings.SplitN(p, ".", 2)[0], "[", 2)[0])
		top[root] = true
		kind := plugin.DiffUpdate
		if forcesNew(p, rules) {
			kind = plugin.DiffUpdateReplace
			replace[root] = true
		}
		res.DetailedDiff[p] = plugin.PropertyDiff{Kind: kind}
	}
	for k := range top {
		res.ChangedKeys = append(res.ChangedKeys, k)
	}
	for k := range replace {
		res.ReplaceKeys = append(res.ReplaceKeys, k)
	}
	sort.Slice(res.ChangedKeys, func(i, j int) bool { return res.ChangedKeys[i] < res.ChangedKeys[j] })
	sort.Slice(res.ReplaceKeys, func(i, j int) bool { return res.ReplaceKeys[i] < res.ReplaceKeys[j] })
	return res
}

func ignored(path string, ignore []string) bool {
	for _, i := range ignore {
		if path == i || strings.HasPrefix(path, i+".") || strings.HasPrefix(path, i+"[") {
			return true
		}
	}
	return false
}
