package main

// The provider's `ssh` settings. bpg needs them for snippets whatever the API auth (with an
// API token it derives no SSH user, ref/proxmox.md §1.2, §3.7). The stand-in checks them the
// same way, then delivers the file through the simulator's lab-only node shell (see file.go).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
)

type sshSettings struct {
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	PrivateKey  string `json:"privateKey,omitempty"`
	Agent       *bool  `json:"agent,omitempty"`
	AgentSocket string `json:"agentSocket,omitempty"`
	Nodes       []struct {
		Name    string `json:"name"`
		Address string `json:"address"`
		Port    int    `json:"port,omitempty"`
	} `json:"nodes,omitempty"`
}

func (s *sshSettings) usable() error {
	if s == nil || s.Username == "" {
		return fmt.Errorf("ssh.username: required to upload snippets (Proxmox accepts them only over SSH; with an API token no SSH user is derived)")
	}
	agent := boolOr(s.Agent, false)
	if agent && s.AgentSocket == "" && os.Getenv("SSH_AUTH_SOCK") == "" {
		return fmt.Errorf("ssh.agent is true but neither ssh.agentSocket nor SSH_AUTH_SOCK is set: start an ssh-agent with a key for %s, or set ssh.privateKey", s.Username)
	}
	if !agent && s.PrivateKey == "" && s.Password == "" {
		return fmt.Errorf("ssh: one of agent, privateKey or password is needed to upload snippets as %s", s.Username)
	}
	if s.PrivateKey != "" && !strings.Contains(s.PrivateKey, "PRIVATE KEY") {
		return fmt.Errorf("ssh.privateKey: not an unencrypted PEM private key")
	}
	return nil
}

// tee writes the file as `tee <path>` would on the node.
func (s *sshSettings) tee(ctx context.Context, c *pveClient, node, path, data string) error {
	q := url.Values{"user": {s.Username}, "command": {"tee " + path}}
	target := fmt.Sprintf("%s/lab/nodes/%s/ssh-exec?%s", strings.TrimSuffix(c.base, "/api2/json"), url.PathEscape(node), q.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "PVEAPIToken="+c.token) // the simulator's lab endpoints reuse the token as the SSH credential check
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", strings.TrimSpace(strings.TrimPrefix(res.Status, fmt.Sprint(res.StatusCode))))
	}
	return nil
}
