#include "umlab/gui/replay_editor.hpp"

#include "umlab/gui/value_combo.hpp"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QToolButton>

#include <filesystem>

namespace umlab::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

std::string replayLabel(const ReplayData& r) {
  std::string label = r.pcap.empty() ? std::string("(no pcap)") : std::filesystem::path(r.pcap).filename().string();
  if (!r.speed.empty() && r.speed != "1")
    label += " ×" + r.speed;
  if (!r.loop.empty() && r.loop != "1")
    label += ", " + r.loop + " times";
  return label;
}

ReplayEditor::ReplayEditor(QWidget* parent) : QWidget(parent) {
  auto* form = new QFormLayout(this);
  form->setContentsMargins(0, 0, 0, 0);
  auto finished = [this] {
    if (!loading_)
      emit edited();
  };
  auto line = [&](const QString& name, const QString& placeholder) {
    auto* e = new QLineEdit;
    e->setObjectName(name);
    e->setPlaceholderText(placeholder);
    connect(e, &QLineEdit::editingFinished, this, finished);
    return e;
  };
  auto* pcapRow = new QHBoxLayout;
  pcapRow->setSpacing(2);
  pcap_ = line("replayPcap", tr("a capture file, relative to the lab's file"));
  pcapRow->addWidget(pcap_);
  auto* browse = new QToolButton;
  browse->setObjectName("replayBrowse");
  browse->setText(tr("Browse…"));
  connect(browse, &QToolButton::clicked, this, &ReplayEditor::browse);
  pcapRow->addWidget(browse);
  form->addRow(tr("Capture"), pcapRow);
  speed_ = line("replaySpeed", tr("1 (the captured timing)"));
  form->addRow(tr("Speed"), speed_);
  loop_ = line("replayLoop", tr("1 (play once)"));
  form->addRow(tr("Loop"), loop_);
  rewriteMac_ = new ValueCombo;
  rewriteMac_->setObjectName("replayRewriteMac");
  rewriteMac_->setUnsetText(tr("default: recorded MACs"));
  rewriteMac_->addValue(QStringLiteral("true"), tr("true: to the gateway"));
  rewriteMac_->addValue(QStringLiteral("false"), tr("false: recorded MACs"));
  rewriteMac_->setToolTip(tr("true sends the capture's unicast frames to the segment's first router or firewall "
                             "(else its first member) instead of their recorded destination MAC"));
  connect(rewriteMac_, &QComboBox::activated, this, finished);
  form->addRow(tr("Rewrite MAC"), rewriteMac_);
}

void ReplayEditor::load(const LabData& lab, const ReplayData& r) {
  loading_ = true;
  loaded_ = r;
  baseDir_ = lab.baseDir;
  auto set = [](QLineEdit* e, const std::string& text) {
    if (e->text() != q(text))
      e->setText(q(text));
  };
  set(pcap_, r.pcap);
  set(speed_, r.speed);
  set(loop_, r.loop);
  rewriteMac_->setValue(r.rewriteMac);
  loading_ = false;
}

ReplayData ReplayEditor::replay() const {
  ReplayData r = loaded_;
  r.pcap = pcap_->text().trimmed().toStdString();
  r.speed = speed_->text().trimmed().toStdString();
  r.loop = loop_->text().trimmed().toStdString();
  r.rewriteMac = rewriteMac_->value();
  return r;
}

std::string ReplayEditor::choosePcap(const std::string& baseDir, const QString& current) {
  const QString start = current.isEmpty() ? q(baseDir) : QFileInfo(QDir(q(baseDir)), current).absolutePath();
  const QString chosen = chooser_ ? chooser_(current)
                                  : QFileDialog::getOpenFileName(this, tr("Choose a capture"), start,
                                                                 tr("Captures (*.pcap *.pcapng *.cap);;All files (*)"));
  return chosen.isEmpty() ? std::string() : pathForLab(baseDir, chosen.toStdString());
}

void ReplayEditor::browse() {
  const std::string path = choosePcap(baseDir_, pcap_->text());
  if (path.empty())
    return;
  pcap_->setText(q(path));
  emit edited();
}

} // namespace umlab::gui
