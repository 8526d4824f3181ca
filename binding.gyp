{
  "variables": {
    # 0 builds the serial fallback binary (no OpenMP runtime needed): GYP_DEFINES=gw_openmp=0
    "gw_openmp%": 1
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fexceptions"],
    "cflags": ["-O3", "-fPIC"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "conditions": [
      # Keeps the binary loadable on glibc 2.28 although built on a newer one (see the header).
      ["OS=='linux'", { "cflags_cc": ["-include", "compat/glibc_floor.h"] }]
    ],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "MACOSX_DEPLOYMENT_TARGET": "11.0",
      "OTHER_CFLAGS": ["-O3"]
    },
    "msvs_settings": {
      "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2", "/openmp"] }
    }
  },
  "targets": [
    {
      "target_name": "gradwell",
      "sources": ["<!@(node native/sources.js core)", "<!@(node native/sources.js binding)"],
      "conditions": [
        ["OS=='linux' and gw_openmp==1", {
          "cflags_cc": ["-fopenmp"],
          "ldflags": ["-fopenmp"],
          "defines": ["GW_HAVE_OPENMP=1"]
        }],
        ["target_arch=='x64'", {
          "dependencies": ["gradwell_sse2", "gradwell_avx2", "gradwell_avx512"],
          "defines": ["GW_ARCH_X86=1"]
        }],
        ["target_arch=='arm64'", {
          "dependencies": ["gradwell_neon"],
          "defines": ["GW_ARCH_ARM64=1"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "gradwell_sse2",
          "type": "static_library",
          "sources": ["<!@(node native/sources.js sse2)"],
          "defines": ["GW_ARCH_X86=1"],
          "cflags_cc": ["<!@(node native/sources.js flags sse2)"]
        },
        {
          "target_name": "gradwell_avx2",
          "type": "static_library",
          "sources": ["<!@(node native/sources.js avx2)"],
          "defines": ["GW_ARCH_X86=1"],
          "cflags_cc": ["<!@(node native/sources.js flags avx2)"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<!@(node native/sources.js flags avx2)"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX2"] } }
        },
        {
          "target_name": "gradwell_avx512",
          "type": "static_library",
          "sources": ["<!@(node native/sources.js avx512)"],
          "defines": ["GW_ARCH_X86=1"],
          "cflags_cc": ["<!@(node native/sources.js flags avx512)"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<!@(node native/sources.js flags avx512)"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX512"] } }
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "gradwell_neon",
          "type": "static_library",
          "sources": ["<!@(node native/sources.js neon)"],
          "defines": ["GW_ARCH_ARM64=1"]
        }
      ]
    }]
  ]
}
