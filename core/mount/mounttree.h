#pragma once

#include <QtGlobal>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace mf {

class Registry;

// What the mount shows, at one moment: a folder per complete model (a model named "org/name"
// is the folder org/name), and in it each file at its path, with its size and the time the model
// was floated. Immutable once built: FUSE threads read it while the engine thread builds the
// next one (MountReads swaps them), and nothing in it touches the registry.
//
// A name that cannot be a path there is left out rather than shown wrong: an empty, "." or ".."
// segment, or a file where another model already has a folder (or the other way round); the
// first model, in name order, keeps the place.
class MountTree final
{
public:
    struct Node
    {
        bool directory = true;
        qint64 size = 0;
        // Milliseconds since the epoch: a model removed and floated again under its name has
        // another time, so that the kernel drops the pages it kept of the old file.
        qint64 mtimeMs = 0;
        qint64 fileId = 0;
        std::vector<std::string> children; // names, a directory's only
    };

    // The complete models of the registry as they are now (on the registry's thread).
    static std::shared_ptr<const MountTree> build(Registry& registry);
    // An empty tree: the root alone.
    MountTree();

    // The node at `path` ("/", "/model", "/model/dir/file.gguf"), null when there is none.
    const Node* find(const std::string& path) const;
    size_t fileCount() const { return m_files; }

private:
    // Adds a directory (and its parents) or a file; false when something else is in the way.
    bool addDirectory(const std::string& path, qint64 mtimeMs);
    bool addFile(const std::string& path, const Node& file);

    std::unordered_map<std::string, Node> m_nodes;
    size_t m_files = 0;
};

} // namespace mf
