package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// availableMemory is the kernel's estimate of the memory a new allocation
// can get without swapping (MemAvailable in /proc/meminfo), in bytes; 0
// when unknown.
func availableMemory() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
