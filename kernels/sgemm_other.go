//go:build !amd64 || purego

package kernels

// On other architectures (or with the purego build tag) only the pure-Go
// kernels exist; they are already registered by sgemm_kernels.go.
