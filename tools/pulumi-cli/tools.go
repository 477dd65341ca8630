//go:build tools

// Package tools pins the Pulumi CLI build for scripts/pulumi-cli.
//
// The upstream module github.com/pulumi/pulumi/pkg/v3 carries a local
// `replace github.com/pulumi/pulumi/sdk/v3 => ../sdk`, so
// `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v3.276.0` refuses to
// build it. This wrapper module requires pkg/v3 and sdk/v3 at the same
// release, restates the upstream non-local replace, and lets
// `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` run from here.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	// The version package is the -X target of the build's -ldflags.
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/version"
)
