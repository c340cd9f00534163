package main

// A small Proxmox VE REST client with the conventions bpg's client uses (ref/proxmox.md §3.1):
// `PVEAPIToken` auth, form-encoded POST/PUT, the `{"data": …}` envelope, the error message in the
// HTTP reason phrase, and UPID tasks polled at /nodes/<node>/tasks/<upid>/status.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type pveClient struct {
	base  string // https://127.0.0.1:port/api2/json
	token string
	http  *http.Client
}

// apiError is a non-2xx answer; notFound mirrors bpg's rule (404, or 500 with "does not exist").
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("received an HTTP %d response - Reason: %s", e.status, e.message)
}

func isNotFound(err error) bool {
	e, ok := err.(*apiError)
	if !ok {
		return false
	}
	m := strings.ToLower(e.message)
	return e.status == 404 || (e.status == 500 && (strings.Contains(m, "does not exist") || strings.Contains(m, "no such")))
}

// newPveClient refuses any endpoint that is not https on a loopback address: this plugin is a
// lab stand-in and must never talk to a real Proxmox (or anything off this machine).
func newPveClient(endpoint, token string, insecure bool) (*pveClient, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: must be an https URL like https://127.0.0.1:8006/ (bpg rejects anything else)", endpoint)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("endpoint %q: this is the LAB STAND-IN of pulumi-resource-proxmoxve and only talks to a simulator on 127.0.0.1; "+
			"for a real Proxmox install the real plugin (pulumi plugin install resource proxmoxve 8.6.0) in your own PULUMI_HOME", endpoint)
	}
	base := strings.TrimRight(u.String(), "/")
	base = strings.TrimSuffix(base, "/api2/json") + "/api2/json"
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS13}} //nolint:gosec // the user's `insecure` setting
	return &pveClient{base: base, token: token, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, nil
}

// do sends one request; params go to the query for GET/DELETE and the form body otherwise.
func (c *pveClient) do(ctx context.Context, method, path string, params url.Values, out any) error {
	target := c.base + path
	var body io.Reader
	if len(params) > 0 {
		if method == http.MethodGet || method == http.MethodDelete {
			target += "?" + params.Encode()
		} else {
			body = strings.NewReader(params.Encode())
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "PVEAPIToken="+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		reason := strings.TrimSpace(strings.TrimPrefix(res.Status, fmt.Sprint(res.StatusCode)))
		var env struct {
			Errors map[string]string `json:"errors"`
		}
		_ = json.Unmarshal(raw, &env)
		for k, v := range env.Errors {
			reason += fmt.Sprintf(" (%s: %s)", k, strings.TrimSpace(v))
		}
		return &apiError{status: res.StatusCode, message: reason}
	}
	if out == nil {
		return nil
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: answer is not JSON: %w", method, path, err)
	}
	if len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")) {
		return nil
	}
	return json.Unmarshal(env.Data, out)
}

// waitTask polls a UPID until it stops (ref/proxmox.md §3.1) and fails on a non-OK exit status.
func (c *pveClient) waitTask(ctx context.Context, upid string, timeout time.Duration) error {
	parts := strings.Split(upid, ":")
	if len(parts) < 3 || parts[0] != "UPID" {
		return fmt.Errorf("not a task id: %q", upid)
	}
	node := parts[1]
	deadline := time.Now().Add(timeout)
	for {
		var st struct {
			Status     string `json:"status"`
			ExitStatus string `json:"exitstatus"`
		}
		if err := c.do(ctx, http.MethodGet, "/nodes/"+url.PathEscape(node)+"/tasks/"+url.PathEscape(upid)+"/status", nil, &st); err != nil {
			return err
		}
		if st.Status == "stopped" {
			if st.ExitStatus == "OK" || strings.HasPrefix(st.ExitStatus, "WARNINGS") {
				return nil
			}
			return fmt.Errorf("task %s failed: %s", upid, st.ExitStatus)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("task %s still running after %s", upid, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond): // bpg polls every 1 s; the simulator's tasks are fast
		}
	}
}

// task runs an asynchronous call (the answer is a UPID) and waits for it.
func (c *pveClient) task(ctx context.Context, method, path string, params url.Values) error {
	var upid string
	if err := c.do(ctx, method, path, params, &upid); err != nil {
		return err
	}
	return c.waitTask(ctx, upid, 5*time.Minute)
}
