{
  # The MPI module: built from source against the system's MPI by `npm run build:mpi`
  # (node-gyp in this directory), never part of the prebuilt binaries. flags.js asks
  # the MPI compiler wrapper (Open MPI's mpicc --showme, MPICH's -compile_info/-link_info)
  # or pkg-config for the include and link flags.
  "targets": [
    {
      "target_name": "gradwell_mpi",
      "sources": ["mpi_module.cpp"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS", "OMPI_SKIP_MPICXX=1", "MPICH_SKIP_MPICXX=1"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-fPIC", "-Wall", "-Wextra", "-fexceptions", "<!@(node flags.js compile)"],
      "libraries": ["<!@(node flags.js link)"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
    }
  ]
}
