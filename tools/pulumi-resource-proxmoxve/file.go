package main

// FileLegacy with contentType "snippets" (ref/proxmox.md §1.5, §3.7). The real provider writes
// the file over SSH (`tee <storage path>/snippets/<name>`); this stand-in requires the same SSH
// settings but hands the bytes to the simulator's lab-only node-shell endpoint instead, which
// applies the same path and user rules. Everything else (storage checks, listing, delete) is
// the Proxmox API, as in bpg.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

type fileArgs struct {
	NodeName    string     `json:"nodeName"`
	DatastoreID string     `json:"datastoreId"`
	ContentType string     `json:"contentType,omitempty"`
	SourceRaw   *sourceRaw `json:"sourceRaw,omitempty"`
	Overwrite   *bool      `json:"overwrite,omitempty"`
}

type sourceRaw struct {
	Data     string `json:"data"`
	FileName string `json:"fileName"`
	Resize   *int   `json:"resize,omitempty"`
}

func (a *fileArgs) validate() []string {
	var bad []string
	if a.NodeName == "" {
		bad = append(bad, "nodeName: required")
	}
	if a.DatastoreID == "" {
		bad = append(bad, "datastoreId: required")
	}
	if a.SourceRaw == nil {
		bad = append(bad, "sourceRaw: the lab stand-in implements sourceRaw only (sourceFile is not implemented)")
	} else if a.SourceRaw.FileName == "" || strings.ContainsAny(a.SourceRaw.FileName, "/\\") {
		bad = append(bad, fmt.Sprintf("sourceRaw.fileName: %q must be a plain file name", a.SourceRaw.FileName))
	}
	if a.ContentType != "" && a.ContentType != "snippets" {
		bad = append(bad, fmt.Sprintf("contentType: %q is not implemented by the lab stand-in (snippets only)", a.ContentType))
	}
	return bad
}

func (a *fileArgs) volid() string {
	return a.DatastoreID + ":snippets/" + a.SourceRaw.FileName
}

type contentItem struct {
	Volid string  `json:"volid"`
	Size  float64 `json:"size"`
	Ctime float64 `json:"ctime"`
}

func (p *proxmoxProvider) listSnippets(ctx context.Context, node, ds string) ([]contentItem, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	var items []contentItem
	err = c.do(ctx, http.MethodGet, fmt.Sprintf("/nodes/%s/storage/%s/content", url.PathEscape(node), url.PathEscape(ds)), url.Values{"content": {"snippets"}}, &items)
	return items, err
}

func (p *proxmoxProvider) createFile(ctx context.Context, a *fileArgs) (map[string]any, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if err := p.ssh.usable(); err != nil {
		return nil, err
	}
	var storage struct {
		Path    string `json:"path"`
		Content string `json:"content"`
		Type    string `json:"type"`
	}
	if err := c.do(ctx, http.MethodGet, "/storage/"+url.PathEscape(a.DatastoreID), nil, &storage); err != nil {
		return nil, fmt.Errorf("reading datastore %s (needs Datastore.Allocate on /storage/%s): %w", a.DatastoreID, a.DatastoreID, err)
	}
	if storage.Path == "" {
		return nil, fmt.Errorf("datastore %s is a %s storage without a directory: snippets need a directory storage", a.DatastoreID, storage.Type)
	}
	if !strings.Contains(","+storage.Content+",", ",snippets,") {
		p.warn(ctx, fmt.Sprintf("datastore %s does not list the snippets content type (content: %s); Proxmox will not use the file for cicustom", a.DatastoreID, storage.Content))
	}
	items, err := p.listSnippets(ctx, a.NodeName, a.DatastoreID)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.Volid == a.volid() {
			if !boolOr(a.Overwrite, true) {
				return nil, fmt.Errorf("%s already exists on %s and overwrite is false", a.volid(), a.NodeName)
			}
			p.warn(ctx, fmt.Sprintf("%s already exists on %s; overwriting it", a.volid(), a.NodeName))
		}
	}
	target := strings.TrimRight(storage.Path, "/") + "/snippets/" + a.SourceRaw.FileName
	if err := p.ssh.tee(ctx, c, a.NodeName, target, a.SourceRaw.Data); err != nil {
		return nil, fmt.Errorf("uploading %s to %s over SSH: %w", a.volid(), a.NodeName, err)
	}
	out, err := p.readFile(ctx, a)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("%s was written but %s does not list it in %s", target, a.NodeName, a.DatastoreID)
	}
	return out, nil
}

// readFile only checks that the volume is listed, as bpg does: edits of the content on the
// node are not detected (ref/proxmox.md §3.7 step 7).
func (p *proxmoxProvider) readFile(ctx context.Context, a *fileArgs) (map[string]any, error) {
	items, err := p.listSnippets(ctx, a.NodeName, a.DatastoreID)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	for _, it := range items {
		if it.Volid == a.volid() {
			out := toMap(a)
			out["contentType"] = "snippets"
			out["fileName"] = a.SourceRaw.FileName
			out["fileSize"] = it.Size
			out["fileModificationDate"] = fmt.Sprintf("%d", int64(it.Ctime))
			return out, nil
		}
	}
	return nil, nil
}

func (p *proxmoxProvider) deleteFile(ctx context.Context, a *fileArgs) error {
	c, err := p.client()
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/nodes/%s/storage/%s/content/%s", url.PathEscape(a.NodeName), url.PathEscape(a.DatastoreID), url.PathEscape(a.volid()))
	if err := c.do(ctx, http.MethodDelete, path, nil, nil); err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting %s on %s: %w", a.volid(), a.NodeName, err)
	}
	return nil
}
