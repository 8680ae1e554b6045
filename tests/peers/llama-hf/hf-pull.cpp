// Runs llama.cpp's own `-hf` download code (common/download.h, common/hf-cache.h, compiled into
// the libllama-common.so that node-llama-cpp's prebuilt Linux binary ships) for one repo: it asks
// MODEL_ENDPOINT (or HF_ENDPOINT) for the repo's refs, lists the tree of the commit "main" names,
// chooses the GGUF as `llama-cli -hf REPO[:QUANT]` would (or FILE), downloads it with its Range
// and ETag handling into the Hugging Face cache (LLAMA_CACHE, HF_HUB_CACHE or HF_HOME) and links
// it into snapshots/<commit>/. Prints the path llama.cpp would load, as the last line.
// Only the calls -hf makes (common/arg.cpp), in the same order; built by build.sh against the
// headers of the very llama.cpp release node-llama-cpp bundles.
//   hf-pull REPO[:QUANT] [FILE]       (HF_TOKEN: the bearer token)
#include "download.h"
#include "hf-cache.h"

#include "common.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: hf-pull REPO[:QUANT] [FILE]\n");
        return 2;
    }
    common_params_model model;
    model.hf_repo = argv[1];
    if (argc > 2)
        model.hf_file = argv[2];
    common_download_opts opts;
    if (const char* token = std::getenv("HF_TOKEN"))
        opts.bearer_token = token;
    try {
        const common_download_hf_plan plan = common_download_get_hf_plan(model, opts);
        if (plan.primary.path.empty()) {
            std::fprintf(stderr, "hf-pull: llama.cpp found no model in %s\n", argv[1]);
            return 1;
        }
        std::vector<hf_cache::hf_file> files = plan.model_files;
        if (files.empty())
            files.push_back(plan.primary);
        std::vector<common_download_task> tasks;
        for (const hf_cache::hf_file& f : files)
            tasks.emplace_back(f, opts);
        common_download_run_tasks(tasks);
        std::string path;
        for (const hf_cache::hf_file& f : files) {
            const std::string linked = hf_cache::finalize_file(f);
            if (f.path == plan.primary.path)
                path = linked;
        }
        std::printf("%s\n", path.c_str());
        return path.empty() ? 1 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hf-pull: %s\n", e.what());
        return 1;
    }
}
