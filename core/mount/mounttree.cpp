#include "mounttree.h"

#include "registry/registry.h"

namespace mf {

namespace {
// The '/'-separated segments of `name`, or none when one of them cannot be a path segment.
std::vector<std::string> segments(const QString& name)
{
    std::vector<std::string> out;
    for (const QString& s : name.split(QLatin1Char('/'))) {
        if (s.isEmpty() || s == QLatin1String(".") || s == QLatin1String("..") ||
            s.contains(QChar(0)))
            return {};
        out.push_back(s.toStdString());
    }
    return out;
}

std::string parentOf(const std::string& path)
{
    const size_t slash = path.rfind('/');
    return slash == 0 ? std::string("/") : path.substr(0, slash);
}

std::string join(const std::vector<std::string>& parts)
{
    std::string path;
    for (const std::string& p : parts)
        path += '/' + p;
    return path;
}
} // namespace

MountTree::MountTree()
{
    m_nodes.emplace("/", Node{});
}

const MountTree::Node* MountTree::find(const std::string& path) const
{
    const auto it = m_nodes.find(path);
    return it == m_nodes.end() ? nullptr : &it->second;
}

bool MountTree::addDirectory(const std::string& path, qint64 mtimeMs)
{
    if (path == "/")
        return true;
    const auto it = m_nodes.find(path);
    if (it != m_nodes.end())
        return it->second.directory;
    const std::string parent = parentOf(path);
    if (!addDirectory(parent, mtimeMs))
        return false;
    Node dir;
    dir.mtimeMs = mtimeMs;
    m_nodes.emplace(path, std::move(dir));
    m_nodes[parent].children.push_back(path.substr(path.rfind('/') + 1));
    return true;
}

bool MountTree::addFile(const std::string& path, const Node& file)
{
    if (m_nodes.count(path) != 0)
        return false;
    const std::string parent = parentOf(path);
    if (!addDirectory(parent, file.mtimeMs))
        return false;
    m_nodes.emplace(path, file);
    m_nodes[parent].children.push_back(path.substr(path.rfind('/') + 1));
    ++m_files;
    return true;
}

std::shared_ptr<const MountTree> MountTree::build(Registry& registry)
{
    auto tree = std::make_shared<MountTree>();
    // One snapshot: a model completed or removed meanwhile is seen whole or not at all.
    QList<std::pair<ModelRecord, QList<FileRecord>>> models;
    registry.readSnapshot([&] {
        for (const ModelRecord& model : registry.modelRows().models())
            if (model.state == ModelRecord::State::Complete)
                models.append({model, registry.modelRows().files(model.id)});
        return true;
    });
    for (const auto& [model, files] : std::as_const(models)) {
        const std::vector<std::string> modelPath = segments(model.name);
        if (modelPath.empty())
            continue;
        const qint64 mtimeMs = model.created.toMSecsSinceEpoch();
        for (const FileRecord& f : files) {
            if (f.state != FileRecord::State::Complete)
                continue;
            std::vector<std::string> path = segments(f.path);
            if (path.empty())
                continue;
            path.insert(path.begin(), modelPath.begin(), modelPath.end());
            Node file;
            file.directory = false;
            file.size = f.size;
            file.mtimeMs = mtimeMs;
            file.fileId = f.id;
            tree->addFile(join(path), file);
        }
    }
    return tree;
}

} // namespace mf
