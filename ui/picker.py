"""Image choice widgets: upload (drag and drop), camera and the committed samples.

The bytes are validated by :func:`explain.imaging.prepare`; the session's image changes only when
that succeeded, and a refused file shows its translated message on the page.
"""

from __future__ import annotations

import streamlit as st

import models
from explain.imaging import FORMATS, ImageError
from ui import state
from ui.i18n import class_name, current_family, image_error, t

UPLOAD_TYPES = sorted({f.lower() for f in FORMATS} | {"jpg", "jpeg", "tif", "tiff", "heic", "heif", "hif"})


def _accept(data: bytes, name: str, seen_key: str) -> None:
    """Use ``data`` unless it is the file this widget already handled."""
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    error_key = seen_key + state.ERROR_SUFFIX
    if st.session_state.get(seen_key) == digest:
        err = st.session_state.get(error_key)
        if err:
            st.error(image_error(err))
        return
    try:
        state.set_image(data, name)
    except ImageError as e:
        st.session_state[seen_key] = digest
        st.session_state[error_key] = e
        st.error(image_error(e))
        return
    st.session_state[seen_key] = digest
    st.session_state[error_key] = None
    st.toast(t("picker.loaded", name=name))
    st.rerun()  # redraw the sidebar (drawn before this widget) with the new image


def sample_label(path_name: str) -> str:
    """"3-dress-2-test29.png" → "Dress · #2", "cat-chelsea.jpg" → "Photo · cat (Chelsea)"."""
    if path_name.endswith(".jpg"):
        return t("picker.photo_option", name=t(f"picker.photo.{path_name[:-4]}"))
    found = models.sample_id(path_name)
    if found is None:
        return path_name
    return t("picker.sample_option", label=class_name(found[0], family=models.FMNIST), n=found[1])


def sample_picker(key: str = "sample") -> None:
    """The committed samples: real photos first for an ImageNet model, Fashion-MNIST images first otherwise."""
    photos, fmnist = models.photo_samples(), models.samples()
    paths = photos + fmnist if current_family() == models.IMAGENET else fmnist + photos
    if not paths:
        return
    names = [p.name for p in paths]
    labels = {n: sample_label(n) for n in names}  # translated now, not when format_func runs later
    choice = st.selectbox(t("picker.sample"), names, format_func=labels.get, key=key)
    if st.button(t("picker.use_sample"), key=key + "_use", type="primary"):
        path = paths[names.index(choice)]
        state.set_image(path.read_bytes(), path.name)
        st.rerun()


def upload_boxes_in_language() -> None:
    """Streamlit writes its own English inside an upload box: the button's "Upload" and a line such as
    "20MB per file • AVIF, BMP, …". The labels of our two upload boxes (the image, keys ``upload``; own
    weights, ``own_weights``: Streamlit gives a widget's container the class ``st-key-<key>``) already say
    what that line says, in the reader's language, so the line is hidden, and the button says
    ``picker.upload_button`` (the English stays in the page at font size 0). The page that shows both boxes
    calls this once. A style-only ``st.html`` takes no space on the page; its text is constant but for that
    catalog string (no quote or backslash in it: ``tests/test_security.py``)."""
    st.html('<style>.st-key-upload [data-testid="stFileUploaderDropzoneInstructions"], '
            '.st-key-own_weights [data-testid="stFileUploaderDropzoneInstructions"] {display: none} '
            '.st-key-upload [data-testid="stFileUploaderDropzone"] button p, '
            '.st-key-own_weights [data-testid="stFileUploaderDropzone"] button p {font-size: 0} '
            '.st-key-upload [data-testid="stFileUploaderDropzone"] button p::after, '
            '.st-key-own_weights [data-testid="stFileUploaderDropzone"] button p::after '
            '{font-size: 0.875rem; content: "' + t("picker.upload_button") + '"}</style>')


def image_picker() -> None:
    """Upload, camera and samples as three tabs."""
    st.subheader(t("picker.title"))
    up, cam, samples = st.tabs([t("picker.tab_upload"), t("picker.tab_camera"), t("picker.tab_samples")])
    with up:
        # The limit is the server's (.streamlit/config.toml), now the only place the box states it.
        f = st.file_uploader(t("picker.upload", mb=st.get_option("server.maxUploadSize")), type=UPLOAD_TYPES,
                             key="upload")
        if f is not None:
            _accept(f.getvalue(), f.name, state.UPLOAD_SEEN_KEY)
    with cam:
        # The camera widget asks the browser for permission as soon as it is drawn: only on request.
        if st.toggle(t("picker.camera_on"), key="camera_on"):
            photo = st.camera_input(t("picker.camera"), key="camera")
            if photo is not None:
                _accept(photo.getvalue(), "camera.jpg", state.CAMERA_SEEN_KEY)
    with samples:
        sample_picker()
