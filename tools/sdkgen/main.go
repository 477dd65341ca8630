// sdkgen writes a Pulumi package's SDK for one language from its schema,
// with the code generators of github.com/pulumi/pulumi/pkg/v3 (the module
// the CLI is built from, so the same go.mod/go.sum). `pulumi package gen-sdk`
// needs the language's host plugin (pulumi-language-python, -go), which the
// Go module proxy does not serve; the generators themselves are in pkg/v3.
//
//	sdkgen <schema.json> python|go <out dir>
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	pygen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "sdkgen: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: sdkgen <schema.json> python|go <out dir>")
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		fail("schema: %v", err)
	}
	pkg, diags, err := schema.BindSpec(spec, schema.NewNullLoader(), schema.ValidationOptions{})
	if err != nil {
		fail("schema: %v", err)
	}
	if diags.HasErrors() {
		fail("schema: %v", diags)
	}
	var files map[string][]byte
	switch os.Args[2] {
	case "python":
		files, err = pygen.GeneratePackage("dockyard-sdkgen", pkg, nil, nil)
	case "go":
		files, err = gogen.GeneratePackage("dockyard-sdkgen", pkg, nil)
	default:
		fail("unknown language %q", os.Args[2])
	}
	if err != nil {
		fail("%s: %v", os.Args[2], err)
	}
	for name, content := range files {
		path := filepath.Join(os.Args[3], name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fail("%v", err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			fail("%v", err)
		}
	}
}
