package main

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is what the test reads of docker-compose.yml.
type composeFile struct {
	Services map[string]struct {
		Image       string
		Command     []string
		Environment map[string]string
		Ports       []string
		Restart     string
		Healthcheck struct{ Test []string }
		DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
	}
}

// TestComposeFile checks docker-compose.yml without a Docker engine (CI has none): the
// database is ready over TCP before anything uses it, migrate creates the role the server runs
// as and the server runs as it, every naptracker command in it parses, the server's health
// check is the binary's own, and what restarts does.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	db, migrate, seed, server := c.Services["postgres"], c.Services["migrate"], c.Services["seed"], c.Services["naptracker"]

	if check := strings.Join(db.Healthcheck.Test, " "); !strings.Contains(check, "pg_isready -h 127.0.0.1") {
		t.Errorf("the database's readiness is not checked over TCP: %s", check)
	}
	for name, want := range map[string]string{"migrate": "postgres:service_healthy", "seed": "migrate:service_completed_successfully",
		"naptracker": "seed:service_completed_successfully"} {
		var got []string
		for on, d := range c.Services[name].DependsOn {
			got = append(got, on+":"+d.Condition)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s depends on %v, want %s", name, got, want)
		}
	}
	for _, name := range []string{"postgres", "naptracker"} {
		if c.Services[name].Restart != "unless-stopped" {
			t.Errorf("%s restarts %q", name, c.Services[name].Restart)
		}
	}

	// Two roles: migrate and seed as the owner of the database; the server as the role
	// migrate grants, with the password migrate gives it.
	ownerURL, err := url.Parse(migrate.Environment["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	serverURL, err := url.Parse(server.Environment["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	appRole := migrate.Command[slices.Index(migrate.Command, "--app-role")+1]
	password, _ := serverURL.User.Password()
	if ownerURL.User.Username() != db.Environment["POSTGRES_USER"] || seed.Environment["DATABASE_URL"] != ownerURL.String() ||
		serverURL.User.Username() != appRole || password != migrate.Environment["NAPTRACKER_APP_ROLE_PASSWORD"] ||
		!slices.Contains(migrate.Command, "--app-role-login") || serverURL.Host != ownerURL.Host || serverURL.Path != ownerURL.Path {
		t.Errorf("roles: migrate and seed as %s, the server as %s, migrate grants %s", ownerURL.Redacted(), serverURL.Redacted(), appRole)
	}

	check := server.Healthcheck.Test
	if len(check) < 3 || check[0] != "CMD" || check[1] != "naptracker" {
		t.Fatalf("the server's health check is not the binary's: %v", check)
	}
	// Every command parses as the binary would parse it.
	for _, args := range [][]string{migrate.Command, seed.Command, server.Command, check[2:]} {
		cmd, rest, err := rootCommand().Find(args)
		if err == nil {
			err = cmd.ParseFlags(rest)
		}
		if err != nil || !cmd.Runnable() {
			t.Errorf("naptracker %s: %v", strings.Join(args, " "), err)
		}
	}
	if !strings.Contains(strings.Join(check, " "), "health --url http://127.0.0.1:8080/readyz") {
		t.Errorf("the server's health check: %v", check)
	}
	if addr := server.Environment["NAPTRACKER_ADDR"]; !slices.Contains(server.Ports, "8080"+addr) {
		t.Errorf("the server listens on %s, compose publishes %v", addr, server.Ports)
	}

	ignored, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(ignored), "\n"), "**/node_modules") {
		t.Error(".dockerignore sends node_modules folders to the build")
	}
}
